/*  libFuzzer harness for sw_jobfile_parse.

    Besides crashes and sanitizer reports, it checks the contract: an accepted
    job satisfies every bound the parser promises, and a refused one comes with
    a message that starts with the source name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_jobfile.h"

static void s_check (const sw_jobfile_t *job)
{
    if (!job->name || !*job->name || strlen (job->name) > 128 || job->ntargets == 0 ||
        job->ntargets > SW_JOBFILE_MAX_TARGETS || job->lease_ms < 1000 || job->lease_ms > 600000 ||
        job->max_attempts < 1 || job->max_attempts > 20 ||
        (job->scope != NULL) != (job->nscope > 0))
        abort ();
    for (size_t i = 0; i < job->nscope; i++)
        if (!job->scope[i] || !*job->scope[i])
            abort ();
    for (size_t t = 0; t < job->ntargets; t++) {
        const sw_job_target_t *target = &job->targets[t];
        if (!target->scanner || target->shard_ports < 1 || target->shard_ports > 65535 ||
            target->line < 1 || target->nhosts > SW_JOBFILE_MAX_HOSTS)
            abort ();
        if (strcmp (target->scanner, "tcp") == 0 && (!target->ports || target->nhosts == 0))
            abort ();
        for (size_t h = 0; h < target->nhosts; h++)
            if (!target->hosts[h] || strlen (target->hosts[h]) > SW_JOBFILE_MAX_STRING)
                abort ();
        if (target->hosts && target->hosts[target->nhosts])
            abort ();
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[256];
    err[0] = 0;
    sw_jobfile_t *job = sw_jobfile_parse ((const char *)data, size, "fuzz", err, sizeof err);
    if (job) {
        s_check (job);
        sw_jobfile_destroy (&job);
    } else if (strncmp (err, "fuzz", 4) != 0)
        abort ();
    return 0;
}
