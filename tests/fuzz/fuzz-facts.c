/* libFuzzer target: the facts block of a guest's serial console
 * (migrate/verify.c), which any program in the guest can write to.
 * Whatever the input, mig_facts_parse must return 1 (no block), -1 with
 * an error, or 0 with facts inside their bounds (ports 0 to 65535,
 * prefix lengths -1 to 128, every string set), which mig_verify_facts
 * compares with a profile without failing.
 * Seeds: tests/data/facts
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/migrate.h"

static const char profile_text[] =
  "schema: p2vkit/profile/v1\nname: s\nhardware:\n  cpu: {cores: 1, mhz: 1}\n"
  "  memory_mib: 1\n  nics:\n    - {name: eth0, addresses: [192.0.2.10/24, \"2001:db8::10/64\"]}\n"
  "services:\n  - {name: sshd, proto: tcp, port: 22}\n";

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct core_profile *p;
  core_string_vector missing = { 0 };
  struct mig_facts f;
  int r;

  if (p == NULL && (p = core_profile_parse ("p", profile_text, sizeof profile_text - 1)) == NULL)
    abort ();
  r = mig_facts_parse ((const char *) data, size, &f);
  if (r == -1 && core_errmsg ()[0] == '\0')
    abort ();
  if (r == 0) {
    if (f.os == NULL)
      abort ();
    for (size_t i = 0; i < f.listening.len; i++)
      if (!f.listening.ptr[i].address || f.listening.ptr[i].port < 0
          || f.listening.ptr[i].port > 65535)
        abort ();
    for (size_t i = 0; i < f.addresses.len; i++)
      if (!f.addresses.ptr[i].address || !f.addresses.ptr[i].ifname
          || f.addresses.ptr[i].prefix < -1 || f.addresses.ptr[i].prefix > 128)
        abort ();
    if (mig_verify_facts (p, &f, &missing) == -1)
      abort ();
  }
  else if (f.listening.len || f.addresses.len || f.os)
    abort ();
  core_string_vector_free (&missing);
  mig_facts_clear (&f);
  return 0;
}
