/*  sw_blobref - blob names. See sw_blobref.h. */
#include "sw_blobref.h"

#include <sodium.h>

void sw_blob_hash (const void *data, size_t len, char hash[SW_BLOB_HEX_LEN + 1])
{
    uint8_t bin[SW_BLOB_HEX_LEN / 2];
    crypto_generichash (bin, sizeof bin, data, len, NULL, 0);
    sodium_bin2hex (hash, SW_BLOB_HEX_LEN + 1, bin, sizeof bin);
}
