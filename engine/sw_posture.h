/*  sw_posture - the posture scanner: groups input files into shards and
    evaluates one group's files against a rule set.

    Shared by the broker's planner (grouping), the node (running a shard)
    and `sweepctl check` (running every group in-process), so the cluster
    and the one-machine check give the same findings for the same input. */
#ifndef SW_POSTURE_H
#define SW_POSTURE_H

#include <stddef.h>

#include "sw_finding.h"
#include "sw_inventory.h"
#include "sw_rule.h"

#define SW_POSTURE_GROUP_MAX_FILES 1000 //  a manifest folder beyond this is cut
#define SW_POSTURE_MAX_FILES       100000
#define SW_POSTURE_GROUP_MAX_BYTES (512ull * 1024 * 1024) //  what a shard reads at once

typedef enum { SW_GROUP_FILES = 0, SW_GROUP_AWS } sw_group_kind_t;

typedef struct {
    sw_group_kind_t kind;
    char *name;      //  "aws:<snapshot>/<region>" or "files:<folder>[#N]"
    size_t *members; //  indexes into the names given to sw_posture_group
    size_t n;
} sw_group_t;

//  Splits input file names ('/'-separated, as the job names them) into
//  shard groups: each AWS snapshot (a folder holding
//  sts-get-caller-identity.json) gives one group per region folder, each
//  holding that folder's files plus the snapshot's sts and snapshot.json;
//  other files group by folder. Names that are not .json, .yaml, .yml or
//  .template files are left out. Groups come sorted by name, members in
//  name order. Returns the number of groups (*groups malloc'd, free with
//  sw_posture_groups_free), or -1 on allocation failure.
long sw_posture_group (const char *const *names, size_t n, sw_group_t **groups);

//  The same, for the inputs of other scanners too: SW_INPUTS_PACKAGES also
//  keeps names a package inventory may have (status, installed, go.mod,
//  go.sum, *.lock, *.txt, *.json).
#define SW_INPUTS_POSTURE  1
#define SW_INPUTS_PACKAGES 2
long sw_posture_group_inputs (const char *const *names, size_t n, int inputs, sw_group_t **groups);
void sw_posture_groups_free (sw_group_t *groups, size_t ngroups);

//  Called for each finding; the finding is the caller's to keep only by
//  copying (sw_finding_copy).
typedef void (sw_posture_emit_fn) (void *arg, const sw_finding_t *finding);

typedef struct {
    size_t files, resources, evaluations, findings, input_errors;
} sw_posture_stats_t;

//  Loads a group's files, evaluates rules, and emits one finding per
//  failing (rule, resource) and one "posture.input-error" finding per
//  input error. bundle (may be NULL) is recorded in each finding.
//  Findings come in a stable order. stats may be NULL.
void sw_posture_run (const sw_ruleset_t *rules, sw_group_kind_t kind, const sw_input_file_t *files,
                     size_t n, const char *bundle, sw_posture_emit_fn *emit, void *arg,
                     sw_posture_stats_t *stats);

#endif
