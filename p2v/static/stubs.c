/* What the static capture program (p2vkit-capture, see the Makefile)
 * links in place of two libraries Debian 12 ships no static archive of,
 * or only one that drags in ICU's 30 MB of data:
 *
 * - p11-kit (PKCS#11 modules), which GnuTLS calls only for PKCS#11 keys
 *   and trust stores: the capture uses a pre-shared key, never PKCS#11,
 *   so every entry point fails as a system without modules would;
 * - libxml2's URI parser, which libnbd calls only for nbd_connect_uri and
 *   nbd_get_uri: the capture connects a socket of its own.
 *
 * Not part of libp2vkit.a: the program p2vkit links the real libraries. */
#include <errno.h>
#include <stddef.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pin.h>
#include <p11-kit/uri.h>
#include <libxml/uri.h>

#define UNUSED __attribute__ ((unused))

/* p11-kit: no modules, no URIs, no PINs. */
CK_FUNCTION_LIST **
p11_kit_modules_load (const char *reserved UNUSED, int flags UNUSED)
{
  return NULL;
}

CK_FUNCTION_LIST *
p11_kit_module_load (const char *path UNUSED, int flags UNUSED)
{
  return NULL;
}

CK_RV
p11_kit_module_finalize (CK_FUNCTION_LIST *module UNUSED)
{
  return CKR_GENERAL_ERROR;
}

void
p11_kit_module_release (CK_FUNCTION_LIST *module UNUSED)
{
}

char *
p11_kit_module_get_name (CK_FUNCTION_LIST *module UNUSED)
{
  return NULL;
}

int
p11_kit_module_get_flags (CK_FUNCTION_LIST *module UNUSED)
{
  return 0;
}

char *
p11_kit_config_option (CK_FUNCTION_LIST *module UNUSED,
                       const char *option UNUSED)
{
  return NULL;
}

const char *
p11_kit_message (void)
{
  return "PKCS#11 is not available in the static capture program";
}

const char *
p11_kit_strerror (CK_RV rv UNUSED)
{
  return "PKCS#11 is not available in the static capture program";
}

size_t
p11_kit_space_strlen (const unsigned char *string, size_t max_length)
{
  size_t i = max_length;

  /* PKCS#11 pads its fixed-width strings with spaces. */
  while (i > 0 && string[i - 1] == ' ')
    i--;
  return i;
}

char *
p11_kit_space_strdup (const unsigned char *string UNUSED,
                      size_t max_length UNUSED)
{
  return NULL;
}

P11KitUri *
p11_kit_uri_new (void)
{
  return NULL;
}

void
p11_kit_uri_free (P11KitUri *uri UNUSED)
{
}

int
p11_kit_uri_parse (const char *string UNUSED, P11KitUriType type UNUSED,
                   P11KitUri *uri UNUSED)
{
  return P11_KIT_URI_BAD_SCHEME;
}

int
p11_kit_uri_format (P11KitUri *uri UNUSED, P11KitUriType type UNUSED,
                    char **string)
{
  if (string)
    *string = NULL;
  return P11_KIT_URI_NOT_FOUND;
}

CK_ATTRIBUTE_PTR
p11_kit_uri_get_attribute (P11KitUri *uri UNUSED,
                           CK_ATTRIBUTE_TYPE type UNUSED)
{
  return NULL;
}

CK_ATTRIBUTE_PTR
p11_kit_uri_get_attributes (P11KitUri *uri UNUSED, CK_ULONG *n)
{
  if (n)
    *n = 0;
  return NULL;
}

int
p11_kit_uri_set_attribute (P11KitUri *uri UNUSED, CK_ATTRIBUTE_PTR attr UNUSED)
{
  return P11_KIT_URI_NOT_FOUND;
}

CK_INFO_PTR
p11_kit_uri_get_module_info (P11KitUri *uri UNUSED)
{
  return NULL;
}

CK_TOKEN_INFO_PTR
p11_kit_uri_get_token_info (P11KitUri *uri UNUSED)
{
  return NULL;
}

int
p11_kit_uri_match_module_info (const P11KitUri *uri UNUSED,
                               const CK_INFO *info UNUSED)
{
  return 0;
}

int
p11_kit_uri_match_token_info (const P11KitUri *uri UNUSED,
                              const CK_TOKEN_INFO *info UNUSED)
{
  return 0;
}

const char *
p11_kit_uri_get_pin_source (const P11KitUri *uri UNUSED)
{
  return NULL;
}

const char *
p11_kit_uri_get_pin_value (const P11KitUri *uri UNUSED)
{
  return NULL;
}

P11KitPin *
p11_kit_pin_new_for_string (const char *value UNUSED)
{
  return NULL;
}

void
p11_kit_pin_unref (P11KitPin *pin UNUSED)
{
}

const unsigned char *
p11_kit_pin_get_value (P11KitPin *pin UNUSED, size_t *length)
{
  if (length)
    *length = 0;
  return NULL;
}

size_t
p11_kit_pin_get_length (P11KitPin *pin UNUSED)
{
  return 0;
}

P11KitPin *
p11_kit_pin_request (const char *source UNUSED, P11KitUri *uri UNUSED,
                     const char *description UNUSED,
                     P11KitPinFlags flags UNUSED)
{
  return NULL;
}

P11KitPin *
p11_kit_pin_file_callback (const char *source UNUSED, P11KitUri *uri UNUSED,
                           const char *description UNUSED,
                           P11KitPinFlags flags UNUSED,
                           void *data UNUSED)
{
  return NULL;
}

int
p11_kit_pin_register_callback (const char *source UNUSED,
                               p11_kit_pin_callback callback UNUSED,
                               void *data UNUSED,
                               p11_kit_pin_destroy_func destroy UNUSED)
{
  return -1;
}

void
p11_kit_pin_unregister_callback (const char *source UNUSED,
                                 p11_kit_pin_callback callback UNUSED,
                                 void *data UNUSED)
{
}

/* libxml2's URIs: none parse. */
xmlURIPtr
xmlParseURI (const char *str UNUSED)
{
  return NULL;
}

xmlChar *
xmlSaveUri (xmlURIPtr uri UNUSED)
{
  return NULL;
}

void
xmlFreeURI (xmlURIPtr uri UNUSED)
{
}

char *
xmlURIUnescapeString (const char *str UNUSED, int len UNUSED,
                      char *target UNUSED)
{
  return NULL;
}
