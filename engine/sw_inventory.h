/*  sw_inventory - turns input files into resources.

    One call loads one group of files (the unit a posture shard works on,
    see sw_group): an AWS snapshot region, or a group of manifest files.
    Each file is recognised by its content: a Kubernetes object or List
    (apiVersion and kind), a CloudFormation template (AWSTemplateFormatVersion
    or a Resources map of "AWS::..." types), a Terraform plan
    (format_version with planned_values), or, in an AWS group, an AWS CLI
    output named <service>-<operation>.json. Anything else is an input
    error that names the file. */
#ifndef SW_INVENTORY_H
#define SW_INVENTORY_H

#include <stddef.h>

#include "sw_resource.h"

typedef struct {
    const char *name; //  path as the job named it, '/'-separated
    const char *data;
    size_t len;
} sw_input_file_t;

//  Loads an AWS snapshot group: the files of one region folder (or the
//  "global" folder) of one snapshot, plus the snapshot's
//  sts-get-caller-identity.json. Names are full relative paths; the
//  region is the folder name. See docs/aws-snapshot.md.
void sw_inventory_load_aws (sw_resset_t *set, const sw_input_file_t *files, size_t n);

//  Loads a group of manifest files: Kubernetes, CloudFormation and
//  Terraform plan documents, in any mix.
void sw_inventory_load_files (sw_resset_t *set, const sw_input_file_t *files, size_t n);

//  Normalizers for one parsed document of each kind (used by the two
//  calls above and by rule fixtures). `file` names it in resources and
//  errors.
void sw_inventory_add_k8s (sw_resset_t *set, const char *file, sw_val_t *doc);
void sw_inventory_add_cfn (sw_resset_t *set, const char *file, sw_val_t *doc);
void sw_inventory_add_tf (sw_resset_t *set, const char *file, sw_val_t *doc);

//  What a parsed document is: "k8s", "cfn", "tf", or NULL when unknown.
const char *sw_inventory_kind (const sw_val_t *doc);

#endif
