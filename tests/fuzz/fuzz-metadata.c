/* libFuzzer target: deploy's reading of the metadata it leaves in a
 * domain (dep_metadata_parse), which comes back from libvirt as whatever
 * the domain's definition holds: anyone who can define domains on the
 * host wrote it.  Whatever the input, it must be refused cleanly (a
 * message, nothing returned) or give a name per volume element.
 * Seeds: tests/data/deploy/metadata tests/data/deploy/expected/kvm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "deploy/deploy.h"

static void
quiet (void *ctx, const char *msg, ...)
{
  (void) ctx;
  (void) msg;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static bool init;
  core_string_vector vols = { 0 };
  char *xml, *hash = (char *) 1;

  if (!init) {
    xmlSetGenericErrorFunc (NULL, quiet);
    init = true;
  }
  /* It reads a C string, as virDomainGetMetadata returns one. */
  xml = strndup ((const char *) data, size);
  if (xml == NULL)
    abort ();
  if (dep_metadata_parse (xml, &hash, &vols) == 0) {
    for (size_t i = 0; i < vols.len; i++)
      if (vols.ptr[i] == NULL)
        abort ();
  }
  else if (hash != NULL || vols.len != 0 || core_errmsg ()[0] == '\0')
    abort ();
  free (hash);
  core_string_vector_free (&vols);
  free (xml);
  return 0;
}
