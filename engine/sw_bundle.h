/*  sw_bundle - rule packs as signed bundles.

    Content the nodes execute travels signed. A bundle is one byte string:

        "CSRB1\n"                  magic and format version (6 bytes)
        signature                  Ed25519, detached, over the body (64 bytes)
        body                       MessagePack map: version (string),
                                   created (unix s), files (array of
                                   [name, text] pairs, names relative to
                                   the rules folder), and secrets (the
                                   same, for the secrets detector's rules
                                   of the folder's secrets/; optional),
                                   and probes (the net scanner's probe
                                   table, probes/net.yaml; optional)

    The content key pair is made by `sweepctl keys init` (KEYS/content/
    bundle.key, 0600, and bundle.pub). Whoever holds the secret key signs
    (the operator's sweepctl); broker and nodes hold only the public key
    and refuse a bundle whose signature does not verify, before a single
    rule of it is parsed. */
#ifndef SW_BUNDLE_H
#define SW_BUNDLE_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "sw_rule.h"

#define SW_BUNDLE_MAGIC       "CSRB1\n"
#define SW_BUNDLE_HEAD        (6 + crypto_sign_BYTES)
#define SW_BUNDLE_MAX         (256u * 1024 * 1024)
#define SW_BUNDLE_RULES       "rules"
#define SW_BUNDLE_ADVISORIES  "advisories"
#define SW_BUNDLE_VERSION_MAX 96

//  Creates DIR/content/bundle.key (secret, 0600) and bundle.pub, unless
//  bundle.pub already exists, and DIR/content/fingerprint.key (secret,
//  0600: keys the fingerprints of secrets findings) unless it exists.
//  Returns 0, 1 when bundle.pub existed, -1 with err.
int sw_bundle_keygen (const char *keys_dir, char *err, size_t errlen);

//  Reads a key file (hex). A secret key file that is group- or
//  world-readable is refused. Returns 0, or -1 with err naming the file.
int sw_bundle_read_key (const char *path, bool secret, uint8_t *key, size_t keylen, char *err,
                        size_t errlen);

//  Packs and signs every rule file under dir. version may be NULL (then
//  "<UTC yyyymmddHHMMSS>-<12 hex of the body's hash>"). Checks first that
//  the rules load. Returns 0 with *out (malloc'd) and *len, or -1 with err.
int sw_bundle_build (const char *dir, const char *version,
                     const uint8_t secret_key[crypto_sign_SECRETKEYBYTES], uint8_t **out,
                     size_t *len, char *err, size_t errlen);

//  Verifies a bundle against the public key, then loads its rules. Returns
//  the rule set (version copied into version), or NULL with err: "rule
//  bundle signature does not verify" when tampered with or signed by
//  another key.
sw_ruleset_t *sw_bundle_open (const uint8_t *data, size_t len,
                              const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                              char version[SW_BUNDLE_VERSION_MAX + 1], char *err, size_t errlen);

//  Verifies a rule bundle, then compiles the secrets rules it carries
//  (packed from the rules folder's secrets/). NULL with err when the
//  signature fails or the bundle has no secrets rules.
struct _sw_secrets_t;
struct _sw_secrets_t *sw_bundle_open_secrets (const uint8_t *data, size_t len,
                                              const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                                              char version[SW_BUNDLE_VERSION_MAX + 1], char *err,
                                              size_t errlen);

//  Verifies a rule bundle, then loads the net scanner's probe table it
//  carries (packed from the rules folder's probes/net.yaml). NULL with err
//  when the signature fails or the bundle has no probe table.
struct _sw_probetab_t;
struct _sw_probetab_t *sw_bundle_open_probes (const uint8_t *data, size_t len,
                                              const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                                              char version[SW_BUNDLE_VERSION_MAX + 1], char *err,
                                              size_t errlen);

//  Verifies only (the broker checks a bundle before storing it).
int sw_bundle_verify (const uint8_t *data, size_t len,
                      const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                      char version[SW_BUNDLE_VERSION_MAX + 1], char *err, size_t errlen);

//  Bundles of other content (an advisory index): the body is {version,
//  created, kind, payload (bin)}. Build signs one; verify_kind checks the
//  signature and the kind; open_payload also copies the payload out
//  (malloc'd, *plen bytes). The rule functions above refuse these, and
//  these refuse rule bundles.
int sw_bundle_build_payload (const char *kind, const char *version, const void *payload,
                             size_t plen, const uint8_t secret_key[crypto_sign_SECRETKEYBYTES],
                             uint8_t **out, size_t *len, char *err, size_t errlen);
int sw_bundle_verify_kind (const uint8_t *data, size_t len,
                           const uint8_t public_key[crypto_sign_PUBLICKEYBYTES], const char *kind,
                           char version[SW_BUNDLE_VERSION_MAX + 1], char *err, size_t errlen);
void *sw_bundle_open_payload (const uint8_t *data, size_t len,
                              const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
                              const char *kind, char version[SW_BUNDLE_VERSION_MAX + 1],
                              size_t *plen, char *err, size_t errlen);

#endif
