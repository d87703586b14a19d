/* Windows guests: what the registry says, and the edits that make one
 * boot on KVM's emulated (full) or virtio (paravirt) disk controller.
 *
 * Windows boots only from a disk controller whose driver is a boot-start
 * service and, before Windows 8, is named for the controller's PCI ID in
 * the CriticalDeviceDatabase; otherwise it stops with 0x7B
 * (INACCESSIBLE_BOOT_DEVICE).  This is Microsoft's "MergeIDE" fix
 * (KB314082) for the emulated controllers, and virt-v2v's way of adding
 * viostor for virtio.  Hives are edited with hivex on local copies; the
 * tree (folder or libguestfs handle) is reached through conv_win_fs.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hivex.h>

#include "converter/converter.h"

#define HDC_CLASS "{4D36E96A-E325-11CE-BFC1-08002BE10318}"
#define SCSI_CLASS "{4D36E97B-E325-11CE-BFC1-08002BE10318}"
#define FIRSTBOOT_SERVICE "p2vkit-firstboot"
#define FIRSTBOOT_DIR "p2vkit"

static const char *
version_label (const struct core_win_version *v, char *buf, size_t len)
{
  if (v->product_name && *v->product_name)
    snprintf (buf, len, "%s", v->product_name);
  else
    snprintf (buf, len, "Windows %d.%d", v->major, v->minor);
  return buf;
}

/* ------------------------------------------------------------------ */
/* Hive access.                                                          */

struct hive {
  hive_h *h;
  const char *label;            /* "SYSTEM" */
  const char *file;             /* the file's name for messages */
  struct conv_win_log *log;     /* NULL while only reading */
};

/* NAME is what messages call FILE (the path in the guest for a copy). */
static int
hive_open (struct hive *hv, const char *file, const char *name, const char *label,
           bool write)
{
  hv->h = hivex_open (file, write ? HIVEX_OPEN_WRITE : 0);
  hv->label = label;
  hv->file = name;
  hv->log = NULL;
  if (!hv->h) {
    core_error_errno ("%s hive %s: cannot open", label, name);
    return -1;
  }
  return 0;
}

static void
hive_close (struct hive *hv)
{
  if (hv->h)
    hivex_close (hv->h);
  hv->h = NULL;
}

/* PATH's node (backslashes between keys), created when CREATE; 0 with no
 * error when it does not exist and !CREATE. */
static hive_node_h
hive_key (struct hive *hv, const char *path, bool create)
{
  hive_node_h node = hivex_root (hv->h);
  CLEANUP_FREE char *copy = core_strdup (path);
  char *save = NULL;

  if (!copy || !node) {
    if (!node)
      core_error ("%s hive %s: no root key", hv->label, hv->file);
    return 0;
  }
  for (char *part = strtok_r (copy, "\\", &save); part;
       part = strtok_r (NULL, "\\", &save)) {
    errno = 0;
    hive_node_h child = hivex_node_get_child (hv->h, node, part);
    if (!child && errno) {
      core_error_errno ("%s hive %s: key %s", hv->label, hv->file, path);
      return 0;
    }
    if (!child && create) {
      child = hivex_node_add_child (hv->h, node, part);
      if (!child) {
        core_error_errno ("%s hive %s: cannot add key %s", hv->label, hv->file, path);
        return 0;
      }
    }
    if (!child)
      return 0;
    node = child;
  }
  return node;
}

/* A REG_SZ/REG_EXPAND_SZ value as UTF-8, or NULL (no error) when absent
 * or of another type. */
static char *
hive_get_string (struct hive *hv, hive_node_h node, const char *name)
{
  hive_type t;
  size_t len;
  hive_value_h v;

  if (!node || !(v = hivex_node_get_value (hv->h, node, name)))
    return NULL;
  if (hivex_value_type (hv->h, v, &t, &len) == -1
      || (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ))
    return NULL;
  return hivex_value_string (hv->h, v);
}

/* A REG_DWORD, or DEF. */
static int64_t
hive_get_dword (struct hive *hv, hive_node_h node, const char *name, int64_t def)
{
  hive_type t;
  size_t len;
  hive_value_h v;

  if (!node || !(v = hivex_node_get_value (hv->h, node, name)))
    return def;
  if (hivex_value_type (hv->h, v, &t, &len) == -1 || t != hive_t_REG_DWORD || len < 4)
    return def;
  return (uint32_t) hivex_value_dword (hv->h, v);
}

/* A REG_MULTI_SZ (or a REG_SZ list separated by commas or spaces, as
 * NameServer is) appended to OUT, empty strings left out. */
static int
hive_get_strings (struct hive *hv, hive_node_h node, const char *name,
                  core_string_vector *out)
{
  hive_type t;
  size_t len;
  hive_value_h v;

  if (!node || !(v = hivex_node_get_value (hv->h, node, name)))
    return 0;
  if (hivex_value_type (hv->h, v, &t, &len) == -1)
    return 0;
  if (t == hive_t_REG_MULTI_SZ) {
    char **list = hivex_value_multiple_strings (hv->h, v);
    int r = 0;
    for (size_t i = 0; list && list[i]; i++) {
      if (r == 0 && *list[i] && core_string_vector_append (out, list[i]) == 0)
        continue;
      if (*list[i] && r == 0)
        r = -1;
      free (list[i]);
    }
    free (list);
    return r;
  }
  if (t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ) {
    CLEANUP_FREE char *s = hivex_value_string (hv->h, v);
    char *save = NULL;
    for (char *p = s ? strtok_r (s, ", ", &save) : NULL; p; p = strtok_r (NULL, ", ", &save)) {
      char *dup = core_strdup (p);
      if (!dup || core_string_vector_append (out, dup) == -1) {
        free (dup);
        return -1;
      }
    }
  }
  return 0;
}

/* UTF-8 to UTF-16LE with a terminating NUL (two for the end of a list is
 * the caller's); BUF grows. */
static int
utf16_append (char **buf, size_t *len, const char *s)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t n = strlen (s), cap;

  /* At most two UTF-16 units per input byte, plus the NUL. */
  if (!core_mul_size (n + 1, 4, &cap) || !core_add_size (cap, *len, &cap)) {
    core_error ("string too long for the registry");
    return -1;
  }
  char *nb = realloc (*buf, cap);
  if (!nb) {
    core_error_errno ("realloc");
    return -1;
  }
  *buf = nb;
  while (*p) {
    uint32_t c;
    int extra;
    if (*p < 0x80) { c = *p; extra = 0; }
    else if ((*p & 0xe0) == 0xc0) { c = *p & 0x1f; extra = 1; }
    else if ((*p & 0xf0) == 0xe0) { c = *p & 0x0f; extra = 2; }
    else if ((*p & 0xf8) == 0xf0) { c = *p & 0x07; extra = 3; }
    else { core_error ("invalid UTF-8 in \"%s\"", s); return -1; }
    p++;
    for (int i = 0; i < extra; i++, p++) {
      if ((*p & 0xc0) != 0x80) { core_error ("invalid UTF-8 in \"%s\"", s); return -1; }
      c = (c << 6) | (*p & 0x3f);
    }
    if (c >= 0x10000) {
      c -= 0x10000;
      uint16_t hi = 0xd800 | (c >> 10), lo = 0xdc00 | (c & 0x3ff);
      nb[(*len)++] = hi & 0xff; nb[(*len)++] = hi >> 8;
      nb[(*len)++] = lo & 0xff; nb[(*len)++] = lo >> 8;
    }
    else {
      nb[(*len)++] = c & 0xff; nb[(*len)++] = c >> 8;
    }
  }
  nb[(*len)++] = 0;
  nb[(*len)++] = 0;
  return 0;
}

/* A value as text for the change log. */
static char *
value_text (hive_type t, const char *data, size_t len)
{
  char *out = NULL;
  size_t olen = 0;
  FILE *fp = open_memstream (&out, &olen);

  if (!fp) {
    core_error_errno ("open_memstream");
    return NULL;
  }
  if (t == hive_t_REG_DWORD && len == 4)
    fprintf (fp, "dword:%u", (unsigned) ((uint8_t) data[0] | (uint8_t) data[1] << 8
                                         | (uint8_t) data[2] << 16
                                         | (uint32_t) (uint8_t) data[3] << 24));
  else if (t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ || t == hive_t_REG_MULTI_SZ) {
    /* ASCII is all p2vkit writes; anything else shows as '?'. */
    fputs (t == hive_t_REG_EXPAND_SZ ? "expand:\"" : t == hive_t_REG_MULTI_SZ ? "multi:\"" : "\"", fp);
    for (size_t i = 0; i + 1 < len; i += 2) {
      unsigned c = (uint8_t) data[i] | (uint8_t) data[i + 1] << 8;
      if (c == 0) {
        if (t != hive_t_REG_MULTI_SZ || i + 3 >= len || (data[i + 2] == 0 && data[i + 3] == 0))
          break;
        fputs ("\",\"", fp);
      }
      else
        fputc (c < 0x80 && c >= 0x20 ? (int) c : '?', fp);
    }
    fputc ('"', fp);
  }
  else {
    fprintf (fp, "hex(%d):", (int) t);
    for (size_t i = 0; i < len; i++)
      fprintf (fp, "%s%02x", i ? "," : "", (uint8_t) data[i]);
  }
  if (fclose (fp) != 0) {
    free (out);
    core_error_errno ("open_memstream");
    return NULL;
  }
  return out;
}

static int
log_add (core_string_vector *v, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
static int
log_add (core_string_vector *v, const char *fmt, ...)
{
  va_list ap;
  char *s;

  va_start (ap, fmt);
  int r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r < 0) {
    core_error_errno ("vasprintf");
    return -1;
  }
  if (core_string_vector_append (v, s) == -1) {
    free (s);
    return -1;
  }
  return 0;
}

static int
change_add (struct conv_win_log *log, const char *path, const char *what,
            const char *before, const char *after, const char *fmt, ...)
  __attribute__((format (printf, 6, 7)));
static int
change_add (struct conv_win_log *log, const char *path, const char *what,
            const char *before, const char *after, const char *fmt, ...)
{
  struct conv_win_change c = { 0 };
  va_list ap;

  va_start (ap, fmt);
  int r = vasprintf (&c.line, fmt, ap);
  va_end (ap);
  if (r < 0) {
    c.line = NULL;
    core_error_errno ("vasprintf");
    return -1;
  }
  c.path = core_strdup (path);
  c.what = core_strdup (what);
  c.before = before ? core_strdup (before) : NULL;
  c.after = after ? core_strdup (after) : NULL;
  if (!c.path || !c.what || (before && !c.before) || (after && !c.after)
      || conv_win_change_vector_append (&log->changes, c) == -1) {
    free (c.line); free (c.path); free (c.what); free (c.before); free (c.after);
    return -1;
  }
  return 0;
}

/* Set NAME under key PATH (created) to T/DATA/LEN; logs the change with
 * the old value, and nothing when the value is already so. */
static int
hive_set (struct hive *hv, const char *path, const char *name, hive_type t,
          const char *data, size_t len)
{
  hive_node_h node = hive_key (hv, path, true);
  CLEANUP_FREE char *old = NULL, *new = NULL;
  hive_value_h v;

  if (!node)
    return -1;
  if ((v = hivex_node_get_value (hv->h, node, name)) != 0) {
    hive_type ot;
    size_t olen;
    CLEANUP_FREE char *odata = hivex_value_value (hv->h, v, &ot, &olen);
    if (odata && ot == t && olen == len && memcmp (odata, data, len) == 0)
      return 0;
    if (odata && !(old = value_text (ot, odata, olen)))
      return -1;
  }
  hive_set_value sv = { .key = (char *) name, .t = t, .len = len, .value = (char *) data };
  if (hivex_node_set_value (hv->h, node, &sv, 0) == -1) {
    core_error_errno ("%s hive %s: cannot set %s\\%s", hv->label, hv->file, path, name);
    return -1;
  }
  if (!(new = value_text (t, data, len)))
    return -1;
  const char *vname = *name ? name : "@";
  CLEANUP_FREE char *key = core_sprintf ("HKLM\\%s\\%s", hv->label, path);
  CLEANUP_FREE char *before = old ? core_sprintf ("%s = %s", vname, old) : NULL;
  CLEANUP_FREE char *after = core_sprintf ("%s = %s", vname, new);
  if (!key || !after || (old && !before))
    return -1;
  return change_add (hv->log, key, "registry value", before, after,
                     "%s\\%s: %s = %s (%s%s)", hv->label, path, vname, new,
                     old ? "was " : "new", old ? old : "");
}

static int
hive_set_dword (struct hive *hv, const char *path, const char *name, uint32_t d)
{
  char b[4] = { d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, (d >> 24) & 0xff };
  return hive_set (hv, path, name, hive_t_REG_DWORD, b, 4);
}

static int
hive_set_str (struct hive *hv, const char *path, const char *name, hive_type t,
              const char *s)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len = 0;
  if (utf16_append (&buf, &len, s) == -1)
    return -1;
  return hive_set (hv, path, name, t, buf, len);
}

/* A REG_MULTI_SZ of the NULL-terminated LIST. */
static int
hive_set_multi (struct hive *hv, const char *path, const char *name,
                const char *const *list)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len = 0;
  for (size_t i = 0; list[i]; i++)
    if (utf16_append (&buf, &len, list[i]) == -1)
      return -1;
  if (utf16_append (&buf, &len, "") == -1)
    return -1;
  return hive_set (hv, path, name, hive_t_REG_MULTI_SZ, buf, len);
}

static int
hive_commit (struct hive *hv)
{
  if (hivex_commit (hv->h, NULL, 0) == -1) {
    core_error_errno ("%s hive %s: cannot write", hv->label, hv->file);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Inspection.                                                          */

static void
nic_clear (struct conv_win_nic *n)
{
  free (n->guid);
  core_string_vector_free (&n->addresses);
  core_string_vector_free (&n->masks);
  core_string_vector_free (&n->gateways);
  core_string_vector_free (&n->dns);
}

void
conv_win_guest_clear (struct conv_win_guest *g)
{
  if (!g)
    return;
  free (g->ver.product_name);
  free (g->controlset);
  free (g->hal);
  for (size_t i = 0; i < g->nics.len; i++)
    nic_clear (&g->nics.ptr[i]);
  conv_win_nic_vector_reset (&g->nics);
  memset (g, 0, sizeof *g);
}

static bool
static_address (const core_string_vector *v)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i], "0.0.0.0") != 0)
      return true;
  return false;
}

static int
read_nics (struct hive *sys, const char *cs, struct conv_win_guest *g)
{
  char path[256];
  snprintf (path, sizeof path, "%s\\Services\\Tcpip\\Parameters\\Interfaces", cs);
  hive_node_h ifs = hive_key (sys, path, false);
  if (!ifs)
    return 0;
  CLEANUP_FREE hive_node_h *kids = hivex_node_children (sys->h, ifs);
  if (!kids) {
    core_error_errno ("SYSTEM hive %s: %s", sys->file, path);
    return -1;
  }
  for (size_t i = 0; kids[i]; i++) {
    struct conv_win_nic n = { 0 };
    n.dhcp = hive_get_dword (sys, kids[i], "EnableDHCP", 0) == 1;
    if (!(n.guid = hivex_node_name (sys->h, kids[i]))
        || hive_get_strings (sys, kids[i], "IPAddress", &n.addresses) == -1
        || hive_get_strings (sys, kids[i], "SubnetMask", &n.masks) == -1
        || hive_get_strings (sys, kids[i], "DefaultGateway", &n.gateways) == -1
        || hive_get_strings (sys, kids[i], "NameServer", &n.dns) == -1) {
      if (!n.guid)
        core_error_errno ("SYSTEM hive %s: interface name", sys->file);
      nic_clear (&n);
      return -1;
    }
    /* Only adapters with a fixed address need anything at first boot. */
    if (n.dhcp || !static_address (&n.addresses)) {
      nic_clear (&n);
      continue;
    }
    if (conv_win_nic_vector_append (&g->nics, n) == -1) {
      nic_clear (&n);
      return -1;
    }
  }
  return 0;
}

static int
inspect (const char *system_hive, const char *software_hive, const char *sysname,
         const char *swname, struct conv_win_guest *out)
{
  struct hive sys = { 0 }, sw = { 0 };
  struct conv_win_guest g = { 0 };
  /* Declared before the first goto, which must not skip them. */
  CLEANUP_FREE char *cur = NULL, *build = NULL, *type = NULL, *arch = NULL;
  int r = -1;

  memset (out, 0, sizeof *out);
  if (hive_open (&sw, software_hive, swname, "SOFTWARE", false) == -1
      || hive_open (&sys, system_hive, sysname, "SYSTEM", false) == -1)
    goto out;

  hive_node_h cv = hive_key (&sw, "Microsoft\\Windows NT\\CurrentVersion", false);
  if (!cv) {
    core_error ("SOFTWARE hive %s: no Microsoft\\Windows NT\\CurrentVersion key: "
                "not a Windows NT SOFTWARE hive", swname);
    goto out;
  }
  cur = hive_get_string (&sw, cv, "CurrentVersion");
  build = hive_get_string (&sw, cv, "CurrentBuildNumber");
  type = hive_get_string (&sw, cv, "InstallationType");
  g.ver.product_name = hive_get_string (&sw, cv, "ProductName");
  if (!cur || sscanf (cur, "%d.%d", &g.ver.major, &g.ver.minor) != 2) {
    core_error ("SOFTWARE hive %s: CurrentVersion is %s%s%s, not MAJOR.MINOR",
                swname, cur ? "\"" : "", cur ? cur : "missing", cur ? "\"" : "");
    goto out;
  }
  /* Windows 10 and later keep "6.3" for old programs' sake. */
  int64_t maj = hive_get_dword (&sw, cv, "CurrentMajorVersionNumber", -1);
  if (maj > 0) {
    g.ver.major = maj;
    g.ver.minor = hive_get_dword (&sw, cv, "CurrentMinorVersionNumber", 0);
  }
  if (build) {
    int64_t b;
    /* An odd build number is no reason to refuse; it only picks folders. */
    if (core_parse_int64 (build, "CurrentBuildNumber", 1, 999999, &b) == 0)
      g.ver.build = b;
  }
  g.ver.server = (type && strstr (type, "Server"))
    || (g.ver.product_name && strstr (g.ver.product_name, "Server"));

  int64_t current = hive_get_dword (&sys, hive_key (&sys, "Select", false), "Current", -1);
  if (current < 1 || current > 999) {
    core_error ("SYSTEM hive %s: no Select\\Current: not a Windows SYSTEM hive",
                sysname);
    goto out;
  }
  if (asprintf (&g.controlset, "ControlSet%03d", (int) current) < 0) {
    g.controlset = NULL;
    core_error_errno ("asprintf");
    goto out;
  }
  if (!hive_key (&sys, g.controlset, false)) {
    core_error ("SYSTEM hive %s: Select\\Current names %s, which is not there",
                sysname, g.controlset);
    goto out;
  }

  char path[256];
  snprintf (path, sizeof path, "%s\\Control\\Session Manager\\Environment", g.controlset);
  arch = hive_get_string (&sys, hive_key (&sys, path, false), "PROCESSOR_ARCHITECTURE");
  snprintf (g.ver.arch, sizeof g.ver.arch, "%s",
            arch && strcasecmp (arch, "AMD64") == 0 ? "amd64" : "x86");

  snprintf (path, sizeof path, "%s\\Enum\\Root\\ACPI_HAL\\0000", g.controlset);
  core_string_vector hal = { 0 };
  if (hive_get_strings (&sys, hive_key (&sys, path, false), "HardwareID", &hal) == -1)
    goto out;
  if (hal.len > 0) {
    g.hal = hal.ptr[0];
    hal.ptr[0] = NULL;
  }
  core_string_vector_free (&hal);

  if (read_nics (&sys, g.controlset, &g) == -1)
    goto out;
  *out = g;
  memset (&g, 0, sizeof g);
  r = 0;
 out:
  conv_win_guest_clear (&g);
  hive_close (&sys);
  hive_close (&sw);
  return r;
}

int
conv_win_inspect (const char *system_hive, const char *software_hive,
                  struct conv_win_guest *out)
{
  return inspect (system_hive, software_hive, system_hive, software_hive, out);
}

void
conv_win_log_clear (struct conv_win_log *log)
{
  if (!log)
    return;
  for (size_t i = 0; i < log->changes.len; i++) {
    struct conv_win_change *c = &log->changes.ptr[i];
    free (c->line); free (c->path); free (c->what); free (c->before); free (c->after);
  }
  conv_win_change_vector_reset (&log->changes);
  free (log->mode_reason);
  log->mode_reason = NULL;
  core_string_vector_free (&log->disabled);
  core_string_vector_free (&log->warnings);
}

/* ------------------------------------------------------------------ */
/* A local folder as a Windows tree.                                    */

static char *
local_resolve (void *opaque, const char *path)
{
  const char *root = opaque;
  CLEANUP_FREE char *copy = core_strdup (path);
  char *cur = core_strdup (root), *save = NULL;

  if (!copy || !cur) {
    free (cur);
    return NULL;
  }
  for (char *part = strtok_r (copy, "/", &save); part; part = strtok_r (NULL, "/", &save)) {
    DIR *d = opendir (cur);
    char *found = NULL;
    if (!d) {
      free (cur);
      return NULL;
    }
    for (struct dirent *e; !found && (e = readdir (d)) != NULL;)
      if (strcasecmp (e->d_name, part) == 0)
        found = core_sprintf ("%s/%s", cur, e->d_name);
    closedir (d);
    free (cur);
    if (!found)
      return NULL;
    cur = found;
  }
  /* Back to a path below the root, as the callbacks take. */
  size_t rl = strlen (root);
  char *rel = core_strdup (cur[rl] == '/' ? cur + rl + 1 : cur + rl);
  free (cur);
  return rel;
}

static char *
local_path (void *opaque, const char *path)
{
  return core_sprintf ("%s/%s", (const char *) opaque, path);
}

static int
local_list (void *opaque, const char *path, core_string_vector *names)
{
  CLEANUP_FREE char *full = local_path (opaque, path);
  DIR *d = full ? opendir (full) : NULL;

  if (!d) {
    if (full)
      core_error_errno ("%s", full);
    return -1;
  }
  for (struct dirent *e; (e = readdir (d)) != NULL;) {
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
      continue;
    char *s = core_strdup (e->d_name);
    if (!s || core_string_vector_append (names, s) == -1) {
      free (s);
      closedir (d);
      return -1;
    }
  }
  closedir (d);
  return 0;
}

static int
copy_file (const char *from, const char *to)
{
  int in = open (from, O_RDONLY | O_CLOEXEC), out = -1;
  char buf[65536];
  ssize_t n;

  if (in == -1) {
    core_error_errno ("%s", from);
    return -1;
  }
  out = open (to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out == -1) {
    core_error_errno ("%s", to);
    close (in);
    return -1;
  }
  while ((n = read (in, buf, sizeof buf)) > 0)
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write (out, buf + done, n - done);
      if (w <= 0) {
        core_error_errno ("%s: write", to);
        close (in);
        close (out);
        return -1;
      }
      done += w;
    }
  if (n < 0) {
    core_error_errno ("%s: read", from);
    close (in);
    close (out);
    return -1;
  }
  close (in);
  if (close (out) == -1) {
    core_error_errno ("%s: close", to);
    return -1;
  }
  return 0;
}

static int
local_download (void *opaque, const char *path, const char *local)
{
  CLEANUP_FREE char *full = local_path (opaque, path);
  return full ? copy_file (full, local) : -1;
}

static int
local_upload (void *opaque, const char *local, const char *path)
{
  CLEANUP_FREE char *full = local_path (opaque, path);
  return full ? copy_file (local, full) : -1;
}

static int
local_mkdir_p (void *opaque, const char *path)
{
  CLEANUP_FREE char *full = local_path (opaque, path);
  if (!full)
    return -1;
  for (char *p = full + strlen ((const char *) opaque) + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir (full, 0755) == -1 && errno != EEXIST) {
        core_error_errno ("mkdir %s", full);
        return -1;
      }
      *p = c;
      if (!c)
        break;
    }
  }
  return 0;
}

void
conv_win_fs_local (struct conv_win_fs *fs, const char *root)
{
  fs->opaque = (void *) root;
  fs->resolve = local_resolve;
  fs->list = local_list;
  fs->download = local_download;
  fs->upload = local_upload;
  fs->mkdir_p = local_mkdir_p;
}

/* ------------------------------------------------------------------ */
/* Conversion.                                                          */

/* Vendor agents for RAID controllers, NICs and management boards that
 * stay behind with the physical machine; they fail or hang at boot
 * without their hardware. */
const char *const conv_win_gone_services[] = {
  /* HP/Compaq Insight agents, NIC teaming, array management */
  "CqMgHost", "CqMgServ", "CqMgStor", "CpqNicMgmt", "CpqRcmc", "sysdown",
  "hpsmhd", "HPWMISTOR", "CPQTeamMP",
  /* Dell OpenManage, PERC */
  "dcstor32", "dcevt32", "omsad", "mr2kserv",
  /* LSI/Avago MegaRAID Storage Manager */
  "MSMFramework", "MrMonitor",
  /* IBM Director */
  "IBMSPSVC",
  NULL
};

/* VMware Tools' services and drivers of VMware's virtual hardware.
 * Filter drivers (vmmouse) are left alone: disabling a class filter
 * takes the whole class down. */
static const char *const vmware_services[] = {
  "VMTools", "VMUpgradeHelper", "vmvss", "VGAuthService", "vmhgfs",
  "vmmemctl", "vmci", "vsock", "vmxnet", "vmxnet3ndis6", "vmx_svga",
  "vm3dmp", "vmrawdsk", NULL
};

/* A boot-start storage service. */
struct service {
  const char *name, *group, *file;
};

/* What each mode needs of a release. */
struct need {
  struct service services[5];   /* set to boot start */
  const char *files[8];         /* in System32\drivers */
  struct cdd { const char *key, *service, *cls; } cdd[12];
  const char *override;         /* service whose StartOverride goes */
};

static void
full_needs (const struct core_win_version *v, struct need *n)
{
  int ver = v->major * 10 + v->minor;
  size_t s = 0, f = 0, c = 0;

  memset (n, 0, sizeof *n);
  n->services[s++] = (struct service) { "atapi", "SCSI miniport", "atapi.sys" };
  n->services[s++] = (struct service) { "intelide", "System Bus Extender", "intelide.sys" };
  n->services[s++] = (struct service) { "pciide", "System Bus Extender", "pciide.sys" };
  n->files[f++] = "atapi.sys";
  n->files[f++] = "intelide.sys";
  n->files[f++] = "pciide.sys";
  n->files[f++] = "pciidex.sys";     /* the library intelide and pciide use */
  if (ver >= 60) {
    n->files[f++] = "ataport.sys";
    if (ver >= 62) {
      n->services[s++] = (struct service) { "storahci", "SCSI miniport", "storahci.sys" };
      n->files[f++] = "storahci.sys";
      n->files[f++] = "storport.sys";
      /* Windows 8 and later set StartOverride on AHCI when it was not
       * the boot controller; it would keep storahci from starting. */
      n->override = "storahci";
    }
    else {
      n->services[s++] = (struct service) { "msahci", "SCSI miniport", "msahci.sys" };
      n->files[f++] = "msahci.sys";
    }
  }
  /* Windows 8 replaced the CriticalDeviceDatabase with the DriverDatabase,
   * where its in-box controllers are already listed. */
  if (ver >= 62)
    return;
  n->cdd[c++] = (struct cdd) { "primary_ide_channel", "atapi", HDC_CLASS };
  n->cdd[c++] = (struct cdd) { "secondary_ide_channel", "atapi", HDC_CLASS };
  n->cdd[c++] = (struct cdd) { "*pnp0600", "atapi", HDC_CLASS };
  n->cdd[c++] = (struct cdd) { "pci#ven_8086&dev_7010", "intelide", HDC_CLASS }; /* PIIX3 */
  n->cdd[c++] = (struct cdd) { "pci#ven_8086&dev_7111", "intelide", HDC_CLASS }; /* PIIX4 */
  n->cdd[c++] = (struct cdd) { "pci#cc_0101", "pciide", HDC_CLASS };
  n->cdd[c++] = (struct cdd) { "gendisk", "disk", "{4D36E967-E325-11CE-BFC1-08002BE10318}" };
  if (ver >= 60) {
    n->cdd[c++] = (struct cdd) { "pci#cc_0106", "msahci", HDC_CLASS };
    n->cdd[c++] = (struct cdd) { "pci#ven_8086&dev_2922&cc_0106", "msahci", HDC_CLASS }; /* ICH9, q35 */
  }
}

/* virtio PCI IDs: transitional (1001/1004) and modern (1042/1048) devices. */
static const struct virtio_drv {
  const char *name, *desc;
  const char *ids[2];
} viostor_drv = {
  "viostor", "Red Hat VirtIO SCSI controller",
  { "VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01" },
}, vioscsi_drv = {
  "vioscsi", "Red Hat VirtIO SCSI pass-through controller",
  { "VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00", "VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01" },
};

static void
lower (char *s)
{
  for (; *s; s++)
    *s = tolower ((unsigned char) *s);
}

/* One file to put into the tree. */
struct put {
  char *local;                  /* source on this machine */
  char *dest;                   /* Windows path in the tree */
  char *what;                   /* for the log */
  const char *text;             /* the content when it is text we wrote */
};
DEFINE_VECTOR_TYPE (put_vector, struct put)

struct job {
  const struct conv_win_fs *fs;
  const struct conv_win_opts *o;
  struct conv_win_guest *g;
  struct conv_win_log *log;
  char scratch[4096];
  unsigned nscratch;
  put_vector puts;
  bool paravirt_vioscsi;
  bool firstboot_pnputil;
  char label[160];
  const char *sysname, *swname; /* the hives' paths in the tree */
  bool paravirt;                /* the mode, once chosen */
};

static int
put_add (struct job *j, char *local, const char *dest, char *what)
{
  struct put p = { local, core_strdup (dest), what, NULL };
  if (!p.dest || !what || !local || put_vector_append (&j->puts, p) == -1) {
    free (p.local);
    free (p.dest);
    free (p.what);
    return -1;
  }
  return 0;
}

static char *
scratch_name (struct job *j, const char *base)
{
  return core_sprintf ("%s/%u-%s", j->scratch, j->nscratch++, base);
}

/* Case-insensitive "name ends with SUFFIX". */
static bool
ends_with (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcasecmp (s + a - b, suffix) == 0;
}

static int
name_cmp_desc (const void *a, const void *b)
{
  return -strcasecmp (*(char *const *) a, *(char *const *) b);
}

/* FILE from Windows\Driver Cache\ARCH\*.cab: service-pack cabinets
 * (sp2.cab) sort after driver.cab in reverse order, so the newest copy
 * wins.  Returns a local path, NULL with no error when absent. */
static char *
from_cabinets (struct job *j, const char *file, char **where)
{
  const char *archdir = strcmp (j->g->ver.arch, "amd64") == 0 ? "amd64" : "i386";
  CLEANUP_FREE char *dir_want = core_sprintf ("Windows/Driver Cache/%s", archdir);
  CLEANUP_FREE char *dir = dir_want ? j->fs->resolve (j->fs->opaque, dir_want) : NULL;
  core_string_vector names = { 0 };
  char *found = NULL;

  if (!dir)
    return NULL;
  if (j->fs->list (j->fs->opaque, dir, &names) == -1)
    return NULL;
  qsort (names.ptr, names.len, sizeof *names.ptr, name_cmp_desc);
  for (size_t i = 0; !found && i < names.len; i++) {
    if (!ends_with (names.ptr[i], ".cab"))
      continue;
    CLEANUP_FREE char *cab = core_sprintf ("%s/%s", dir, names.ptr[i]);
    CLEANUP_FREE char *local = scratch_name (j, "cab");
    CLEANUP_FREE char *out = scratch_name (j, "x");
    CLEANUP_FREE char *listing = NULL;
    if (!cab || !local || !out || j->fs->download (j->fs->opaque, cab, local) == -1)
      break;
    char *ls[] = { "gcab", "-t", local, NULL };
    if (core_run (ls, &listing) != 0) {
      /* A cabinet gcab cannot read is skipped, not fatal: others may do. */
      unlink (local);
      continue;
    }
    char *save = NULL, *member = NULL;
    for (char *line = strtok_r (listing, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
      char *tab = strpbrk (line, "\t ");
      if (tab)
        *tab = '\0';
      if (strcasecmp (line, file) == 0)
        member = line;
    }
    if (member) {
      if (mkdir (out, 0700) == -1) {
        core_error_errno ("mkdir %s", out);
        unlink (local);
        break;
      }
      char *x[] = { "gcab", "-x", "-C", out, local, NULL };
      if (core_run (x, NULL) != 0) {
        unlink (local);
        break;
      }
      found = core_sprintf ("%s/%s", out, member);
      *where = core_sprintf ("%s\\%s", archdir, names.ptr[i]);
    }
    unlink (local);
  }
  core_string_vector_free (&names);
  return found;
}

/* FILE from DriverStore\FileRepository\*\FILE (Vista and later). */
static char *
from_driverstore (struct job *j, const char *file, char **where)
{
  CLEANUP_FREE char *repo = j->fs->resolve (j->fs->opaque,
                                            "Windows/System32/DriverStore/FileRepository");
  core_string_vector names = { 0 };
  char *found = NULL;

  if (!repo || j->fs->list (j->fs->opaque, repo, &names) == -1)
    return NULL;
  qsort (names.ptr, names.len, sizeof *names.ptr, name_cmp_desc);
  for (size_t i = 0; !found && i < names.len; i++) {
    CLEANUP_FREE char *want = core_sprintf ("%s/%s/%s", repo, names.ptr[i], file);
    CLEANUP_FREE char *path = want ? j->fs->resolve (j->fs->opaque, want) : NULL;
    if (!path)
      continue;
    char *local = scratch_name (j, file);
    if (!local || j->fs->download (j->fs->opaque, path, local) == -1) {
      free (local);
      break;
    }
    found = local;
    *where = core_sprintf ("DriverStore\\FileRepository\\%s", names.ptr[i]);
  }
  core_string_vector_free (&names);
  return found;
}

/* Make sure System32\drivers\FILE will be there: present, or restored
 * from dllcache, the driver cache's cabinets or the DriverStore. */
static int
need_driver_file (struct job *j, const char *file, const char *forwhat)
{
  CLEANUP_FREE char *want = core_sprintf ("Windows/System32/drivers/%s", file);
  CLEANUP_FREE char *have = want ? j->fs->resolve (j->fs->opaque, want) : NULL;
  char *where = NULL, *local = NULL;

  if (!want)
    return -1;
  if (have)
    return 0;
  CLEANUP_FREE char *dc_want = core_sprintf ("Windows/System32/dllcache/%s", file);
  CLEANUP_FREE char *dc = dc_want ? j->fs->resolve (j->fs->opaque, dc_want) : NULL;
  if (dc) {
    local = scratch_name (j, file);
    if (!local || j->fs->download (j->fs->opaque, dc, local) == -1) {
      free (local);
      return -1;
    }
    where = core_strdup ("System32\\dllcache");
  }
  if (!local)
    local = from_cabinets (j, file, &where);
  if (!local)
    local = from_driverstore (j, file, &where);
  if (!local) {
    core_error ("%s needs %s for %s: it is not in Windows\\System32\\drivers, "
                "and not in System32\\dllcache, the cabinets of Windows\\Driver Cache "
                "or the DriverStore; copy it there from the installation media and "
                "convert again", j->label, file, forwhat);
    return -1;
  }
  CLEANUP_FREE char *dir = j->fs->resolve (j->fs->opaque, "Windows/System32/drivers");
  CLEANUP_FREE char *dest = core_sprintf ("%s/%s", dir ? dir : "Windows/System32/drivers", file);
  return put_add (j, local, dest,
                  core_sprintf ("restored Windows\\System32\\drivers\\%s from %s",
                                file, where ? where : "?")) == -1
    ? (free (where), -1) : (free (where), 0);
}

/* DRIVER's folder in the virtio-win tree for this release and arch:
 * DRIVER/OS/ARCH, with OS from core_win_virtio_dir or the older names. */
static char *
virtio_folder (struct job *j, const char *driver, char **rel)
{
  const char *oses[2] = { core_win_virtio_dir (&j->g->ver), core_win_virtio_dir_old (&j->g->ver) };
  for (int i = 0; i < 2; i++) {
    if (!oses[i])
      continue;
    CLEANUP_FREE char *want = core_sprintf ("%s/%s/%s", driver, oses[i], j->g->ver.arch);
    CLEANUP_FREE char *r = want ? local_resolve ((void *) j->o->virtio_win, want) : NULL;
    if (r) {
      *rel = core_strdup (r);
      return core_sprintf ("%s/%s", j->o->virtio_win, r);
    }
  }
  return NULL;
}

/* Copy DRIVER's .sys to System32\drivers and its whole folder to
 * \p2vkit\drivers\DRIVER for the first boot.  REQUIRED: refuse without. */
static int
virtio_driver (struct job *j, const char *driver, const char *sys, bool required,
               bool boot, bool *found)
{
  CLEANUP_FREE char *folder = core_strdup (driver);
  CLEANUP_FREE char *rel = NULL;
  CLEANUP_FREE char *dir = virtio_folder (j, driver, &rel);
  core_string_vector names = { 0 };
  char *lsys = NULL;

  *found = false;
  if (!dir) {
    if (!required)
      return 0;
    const char *os = core_win_virtio_dir (&j->g->ver);
    core_error ("%s: no %s driver for %s %s in the virtio-win tree %s "
                "(looked for %s/%s/%s)", j->o->virtio_win, driver, j->label,
                j->g->ver.arch, j->o->virtio_win, driver, os ? os : "?", j->g->ver.arch);
    return -1;
  }
  if (!folder)
    return -1;
  lower (folder);
  struct conv_win_fs lfs;
  conv_win_fs_local (&lfs, dir);
  if (lfs.list (lfs.opaque, "", &names) == -1)
    return -1;
  qsort (names.ptr, names.len, sizeof *names.ptr, name_cmp_desc);
  for (size_t i = 0; i < names.len; i++) {
    char *src = core_sprintf ("%s/%s", dir, names.ptr[i]);
    CLEANUP_FREE char *dest = core_sprintf (FIRSTBOOT_DIR "/drivers/%s/%s", folder,
                                            names.ptr[i]);
    struct stat st;
    if (!src || !dest || stat (src, &st) == -1 || !S_ISREG (st.st_mode)) {
      free (src);
      continue;
    }
    if (strcasecmp (names.ptr[i], sys) == 0)
      lsys = core_strdup (src);
    if (put_add (j, src, dest, core_sprintf ("copied %s/%s to \\" FIRSTBOOT_DIR
                                             "\\drivers\\%s\\%s", rel, names.ptr[i],
                                             folder, names.ptr[i])) == -1) {
      core_string_vector_free (&names);
      free (lsys);
      return -1;
    }
  }
  core_string_vector_free (&names);
  if (!lsys) {
    if (!required)
      return 0;
    core_error ("%s/%s: no %s in this folder of the virtio-win tree", j->o->virtio_win,
                rel, sys);
    return -1;
  }
  *found = true;
  if (!boot) {
    free (lsys);
    return 0;
  }
  CLEANUP_FREE char *ddir = j->fs->resolve (j->fs->opaque, "Windows/System32/drivers");
  CLEANUP_FREE char *dest = core_sprintf ("%s/%s", ddir ? ddir : "Windows/System32/drivers", sys);
  return put_add (j, lsys, dest, core_sprintf ("copied %s/%s to Windows\\System32\\drivers\\%s",
                                               rel, sys, sys));
}

static int
set_service (struct hive *sys, const char *cs, const struct service *s, bool tag)
{
  CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\%s", cs, s->name);
  CLEANUP_FREE char *image = core_sprintf ("system32\\DRIVERS\\%s", s->file);

  if (!key || !image
      || hive_set_dword (sys, key, "Type", 1) == -1
      || hive_set_dword (sys, key, "Start", 0) == -1
      || hive_set_dword (sys, key, "ErrorControl", 1) == -1
      || hive_set_str (sys, key, "Group", hive_t_REG_SZ, s->group) == -1
      || hive_set_str (sys, key, "ImagePath", hive_t_REG_EXPAND_SZ, image) == -1)
    return -1;
  /* As virt-v2v does: a tag inside the "SCSI miniport" group. */
  if (tag && hive_set_dword (sys, key, "Tag", 0x21) == -1)
    return -1;
  return 0;
}

static int
set_cdd (struct hive *sys, const char *cs, const char *id, const char *service,
         const char *cls)
{
  CLEANUP_FREE char *key = core_sprintf ("%s\\Control\\CriticalDeviceDatabase\\%s", cs, id);
  if (!key
      || hive_set_str (sys, key, "Service", hive_t_REG_SZ, service) == -1
      || hive_set_str (sys, key, "ClassGUID", hive_t_REG_SZ, cls) == -1)
    return -1;
  return 0;
}

/* The virtio storage driver DRV for the boot disk: a boot-start service,
 * and its PCI IDs in the CriticalDeviceDatabase (before Windows 8) or in
 * the DriverDatabase (8 and later), as virt-v2v registers viostor. */
static int
register_virtio (struct job *j, struct hive *sys, const struct virtio_drv *drv)
{
  const char *cs = j->g->controlset;
  struct service s = { drv->name, "SCSI miniport", NULL };
  CLEANUP_FREE char *file = core_sprintf ("%s.sys", drv->name);
  int ver = j->g->ver.major * 10 + j->g->ver.minor;

  s.file = file;
  if (!file || set_service (sys, cs, &s, true) == -1)
    return -1;
  for (int i = 0; i < 2; i++) {
    /* The full hardware ID and the bare vendor/device pair: Windows looks
     * each of a device's IDs up in turn. */
    CLEANUP_FREE char *full = core_sprintf ("pci#%s", drv->ids[i]);
    CLEANUP_FREE char *bare = core_strndup (drv->ids[i], strlen ("VEN_1AF4&DEV_1001"));
    CLEANUP_FREE char *barekey = bare ? core_sprintf ("pci#%s", bare) : NULL;
    if (!full || !barekey)
      return -1;
    lower (full);
    lower (barekey);
    if (ver < 62) {
      if (set_cdd (sys, cs, full, drv->name, SCSI_CLASS) == -1
          || set_cdd (sys, cs, barekey, drv->name, SCSI_CLASS) == -1)
        return -1;
      continue;
    }
    CLEANUP_FREE char *inf = core_sprintf ("%s.inf", drv->name);
    CLEANUP_FREE char *dev = core_sprintf ("DriverDatabase\\DeviceIds\\PCI\\%s", drv->ids[i]);
    static const char rank[4] = { 0x01, (char) 0xff, 0x00, 0x00 };
    if (!inf || !dev || hive_set (sys, dev, inf, hive_t_REG_BINARY, rank, 4) == -1)
      return -1;
  }
  if (ver < 62)
    return 0;

  CLEANUP_FREE char *inf = core_sprintf ("%s.inf", drv->name);
  CLEANUP_FREE char *pkg = core_sprintf ("%s.inf_%s_p2vkit", drv->name, j->g->ver.arch);
  CLEANUP_FREE char *infkey = core_sprintf ("DriverDatabase\\DriverInfFiles\\%s", inf);
  CLEANUP_FREE char *pkgkey = core_sprintf ("DriverDatabase\\DriverPackages\\%s", pkg);
  CLEANUP_FREE char *cfgkey = core_sprintf ("%s\\Configurations\\p2vkit_inst", pkgkey);
  CLEANUP_FREE char *oem = core_sprintf ("C:\\" FIRSTBOOT_DIR "\\drivers\\%s", drv->name);
  if (!inf || !pkg || !infkey || !pkgkey || !cfgkey || !oem)
    return -1;
  const char *pkglist[] = { pkg, NULL }, *cfglist[] = { "p2vkit_inst", NULL };
  if (hive_set_multi (sys, infkey, "", pkglist) == -1
      || hive_set_str (sys, infkey, "Active", hive_t_REG_SZ, pkg) == -1
      || hive_set_multi (sys, infkey, "Configurations", cfglist) == -1
      || hive_set_str (sys, pkgkey, "", hive_t_REG_SZ, inf) == -1
      || hive_set_dword (sys, pkgkey, "F6", 1) == -1
      || hive_set_str (sys, pkgkey, "InfName", hive_t_REG_SZ, inf) == -1
      || hive_set_str (sys, pkgkey, "OemPath", hive_t_REG_SZ, oem) == -1
      || hive_set_str (sys, pkgkey, "Provider", hive_t_REG_SZ, "Red Hat, Inc.") == -1
      || hive_set_dword (sys, pkgkey, "SignerScore", 0x0d000005) == -1
      || hive_set_dword (sys, pkgkey, "StatusFlags", 0x12) == -1
      || hive_set_dword (sys, cfgkey, "ConfigFlags", 0) == -1
      || hive_set_str (sys, cfgkey, "Service", hive_t_REG_SZ, drv->name) == -1)
    return -1;
  for (int i = 0; i < 2; i++) {
    CLEANUP_FREE char *d = core_sprintf ("%s\\Descriptors\\PCI\\%s", pkgkey, drv->ids[i]);
    if (!d
        || hive_set_str (sys, d, "Configuration", hive_t_REG_SZ, "p2vkit_inst") == -1
        || hive_set_str (sys, d, "Manufacturer", hive_t_REG_SZ, "Red Hat, Inc.") == -1
        || hive_set_str (sys, d, "Description", hive_t_REG_SZ, drv->desc) == -1)
      return -1;
  }
  return 0;
}

/* Services of hardware that stays behind: Start=4, each in the log. */
static int
disable_services (struct job *j, struct hive *sys, const char *const *list)
{
  for (size_t i = 0; list[i]; i++) {
    CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\%s", j->g->controlset, list[i]);
    if (!key)
      return -1;
    hive_node_h node = hive_key (sys, key, false);
    if (!node)
      continue;
    int64_t start = hive_get_dword (sys, node, "Start", -1);
    if (start == 4)
      continue;
    CLEANUP_FREE char *name = hivex_node_name (sys->h, node);
    if (hive_set_dword (sys, key, "Start", 4) == -1
        || log_add (&j->log->disabled, "%s (was Start=%lld)", name ? name : list[i],
                    (long long) start) == -1)
      return -1;
  }
  return 0;
}

/* The first-boot script: install the rest of the virtio drivers with
 * pnputil (Vista and later) and give each adapter that had a fixed
 * address that address again.  The address was bound to the old NIC's
 * GUID; the new NIC is a new adapter.  Static adapter I goes to the I-th
 * connected adapter that netsh lists. */
static char *
firstboot_script (struct job *j, const char *const *drivers)
{
  char *out = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&out, &len);
  int ver = j->g->ver.major * 10 + j->g->ver.minor;

  if (!fp) {
    core_error_errno ("open_memstream");
    return NULL;
  }
#define L(...) (fprintf (fp, __VA_ARGS__), fputs ("\r\n", fp))
  L ("@echo off");
  L ("rem Written by p2vkit convert.  Runs once at the first boot on KVM (service");
  L ("rem " FIRSTBOOT_SERVICE ", or at the first logon from RunOnce), then removes");
  L ("rem the service.  What it did is in %%SystemDrive%%\\" FIRSTBOOT_DIR "\\firstboot.log.");
  L ("setlocal enabledelayedexpansion");
  L ("set DIR=%%SystemDrive%%\\" FIRSTBOOT_DIR);
  L ("if exist \"%%DIR%%\\firstboot.done\" exit /b 0");
  L ("set LOG=%%DIR%%\\firstboot.log");
  L ("echo %%DATE%% %%TIME%% first boot >> \"%%LOG%%\"");
  for (size_t i = 0; drivers[i]; i++) {
    if (ver >= 60)
      L ("pnputil -i -a \"%%DIR%%\\drivers\\%s\\%s.inf\" >> \"%%LOG%%\" 2>&1", drivers[i],
         drivers[i]);
  }
  for (size_t n = 0; n < j->g->nics.len; n++) {
    const struct conv_win_nic *nic = &j->g->nics.ptr[n];
    L ("rem Adapter %s", nic->guid);
    L ("call :adapter %zu", n + 1);
    L ("if not defined IFNAME echo no adapter %zu for %s >> \"%%LOG%%\"", n + 1, nic->guid);
    for (size_t a = 0; a < nic->addresses.len; a++) {
      const char *mask = a < nic->masks.len ? nic->masks.ptr[a] : "255.255.255.0";
      if (a == 0)
        L ("if defined IFNAME netsh interface ip set address name=\"!IFNAME!\" "
           "source=static addr=%s mask=%s gateway=%s%s >> \"%%LOG%%\" 2>&1",
           nic->addresses.ptr[a], mask,
           nic->gateways.len ? nic->gateways.ptr[0] : "none",
           nic->gateways.len ? " gwmetric=1" : "");
      else
        L ("if defined IFNAME netsh interface ip add address name=\"!IFNAME!\" "
           "addr=%s mask=%s >> \"%%LOG%%\" 2>&1", nic->addresses.ptr[a], mask);
    }
    for (size_t g = 1; g < nic->gateways.len; g++)
      L ("if defined IFNAME netsh interface ip add address name=\"!IFNAME!\" "
         "gateway=%s gwmetric=%zu >> \"%%LOG%%\" 2>&1", nic->gateways.ptr[g], g + 1);
    for (size_t d = 0; d < nic->dns.len; d++) {
      if (d == 0)
        L ("if defined IFNAME netsh interface ip set dns name=\"!IFNAME!\" "
           "source=static addr=%s register=primary >> \"%%LOG%%\" 2>&1", nic->dns.ptr[d]);
      else
        L ("if defined IFNAME netsh interface ip add dns name=\"!IFNAME!\" "
           "addr=%s index=%zu >> \"%%LOG%%\" 2>&1", nic->dns.ptr[d], d + 1);
    }
  }
  L ("sc delete " FIRSTBOOT_SERVICE " >> \"%%LOG%%\" 2>&1");
  L ("echo done > \"%%DIR%%\\firstboot.done\"");
  L ("exit /b 0");
  fputs ("\r\n", fp);
  L (":adapter");
  L ("rem The Nth connected adapter; the new NIC's driver may take a while to load.");
  L ("set IFNAME=");
  L ("for /l %%%%t in (1,1,30) do if not defined IFNAME (");
  L ("  set N=0");
  L ("  for /f \"tokens=1,2,3,*\" %%%%a in ('netsh interface show interface') do (");
  L ("    if /i \"%%%%b\"==\"Connected\" if /i \"%%%%c\"==\"Dedicated\" (");
  L ("      set /a N+=1");
  L ("      if \"!N!\"==\"%%1\" set \"IFNAME=%%%%d\"");
  L ("    )");
  L ("  )");
  L ("  if not defined IFNAME ping -n 11 127.0.0.1 > nul");
  L (")");
  L ("goto :eof");
#undef L
  if (fclose (fp) != 0) {
    free (out);
    core_error_errno ("open_memstream");
    return NULL;
  }
  return out;
}

static int
write_local (const char *path, const char *text)
{
  FILE *fp = fopen (path, "w");
  if (!fp || fputs (text, fp) == EOF || fclose (fp) == EOF) {
    core_error_errno ("%s", path);
    return -1;
  }
  return 0;
}

static int
rm_scratch (struct job *j)
{
  DIR *d = opendir (j->scratch);
  if (!d)
    return 0;
  for (struct dirent *e; (e = readdir (d)) != NULL;) {
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
      continue;
    CLEANUP_FREE char *p = core_sprintf ("%s/%s", j->scratch, e->d_name);
    struct stat st;
    if (p && lstat (p, &st) == 0 && S_ISDIR (st.st_mode)) {
      /* Unpacked cabinets: one level of files. */
      DIR *s = opendir (p);
      for (struct dirent *f; s && (f = readdir (s)) != NULL;) {
        CLEANUP_FREE char *q = core_sprintf ("%s/%s", p, f->d_name);
        if (q && strcmp (f->d_name, ".") && strcmp (f->d_name, ".."))
          unlink (q);
      }
      if (s)
        closedir (s);
      rmdir (p);
    }
    else if (p)
      unlink (p);
  }
  closedir (d);
  rmdir (j->scratch);
  return 0;
}

/* VMware Tools' service is there: the guest was a VMware VM. */
static bool
vmware_tools (struct job *j, struct hive *sys)
{
  CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\VMTools", j->g->controlset);
  return key && hive_key (sys, key, false) != 0;
}

/* Auto mode: paravirt when the virtio-win tree has the storage and
 * network drivers for this release, else full; the reason goes to the
 * log. */
static int
choose_mode (struct job *j)
{
  CLEANUP_FREE char *r1 = NULL, *r2 = NULL, *d1 = NULL, *d2 = NULL;
  const char *os = core_win_virtio_dir (&j->g->ver);
  const char *arch = j->g->ver.arch;

  j->paravirt = false;
  if (!j->o->virtio_win)
    j->log->mode_reason = core_sprintf ("no virtio-win tree was given (--virtio-win), so "
                                        "%s gets an emulated IDE disk and e1000 network",
                                        j->label);
  else if (core_win_pv_supported (&j->g->ver) == CORE_WIN_PV_NONE)
    j->log->mode_reason = core_sprintf ("no virtio drivers were ever made for %s, so it "
                                        "gets an emulated IDE disk and e1000 network",
                                        j->label);
  else if (!(d1 = virtio_folder (j, "viostor", &r1)) || !(d2 = virtio_folder (j, "NetKVM", &r2)))
    j->log->mode_reason = core_sprintf ("the virtio-win tree %s has no %s/%s/%s, so %s gets "
                                        "an emulated IDE disk and e1000 network",
                                        j->o->virtio_win, d1 ? "NetKVM" : "viostor",
                                        os ? os : "?", arch, j->label);
  else {
    j->paravirt = true;
    j->log->mode_reason = core_sprintf ("the virtio-win tree has viostor and NetKVM for "
                                        "%s (%s, %s)", j->label, r1, r2);
  }
  return j->log->mode_reason ? 0 : -1;
}

/* Edits of SYSTEM and SOFTWARE; the hive files are local. */
static int
edit_hives (struct job *j, const char *sysfile, const char *swfile, bool firstboot,
            const char *const *pv_drivers)
{
  struct hive sys = { 0 }, sw = { 0 };
  const char *cs = j->g->controlset;
  int r = -1;

  if (hive_open (&sys, sysfile, j->sysname, "SYSTEM", true) == -1
      || hive_open (&sw, swfile, j->swname, "SOFTWARE", true) == -1)
    goto out;
  sys.log = sw.log = j->log;

  if (!j->paravirt) {
    struct need n;
    full_needs (&j->g->ver, &n);
    for (size_t i = 0; i < 5 && n.services[i].name; i++)
      if (set_service (&sys, cs, &n.services[i], false) == -1)
        goto out;
    for (size_t i = 0; i < 12 && n.cdd[i].key; i++)
      if (set_cdd (&sys, cs, n.cdd[i].key, n.cdd[i].service, n.cdd[i].cls) == -1)
        goto out;
    if (n.override) {
      CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\%s", cs, n.override);
      hive_node_h node = key ? hive_key (&sys, key, false) : 0;
      hive_node_h ov = node ? hivex_node_get_child (sys.h, node, "StartOverride") : 0;
      if (ov) {
        if (hivex_node_delete_child (sys.h, ov) == -1) {
          core_error_errno ("SYSTEM hive: cannot delete %s\\StartOverride", key);
          goto out;
        }
        CLEANUP_FREE char *hk = core_sprintf ("HKLM\\SYSTEM\\%s\\StartOverride", key);
        if (!hk || change_add (j->log, hk, "registry key deleted (it kept the driver from "
                               "starting)", "StartOverride", NULL,
                               "SYSTEM\\%s\\StartOverride: deleted", key) == -1)
          goto out;
      }
    }
  }
  else {
    if (register_virtio (j, &sys, &viostor_drv) == -1
        || (j->paravirt_vioscsi && register_virtio (j, &sys, &vioscsi_drv) == -1))
      goto out;
    /* Plug and Play looks here for drivers of new devices (the NIC). */
    hive_node_h cv = hive_key (&sw, "Microsoft\\Windows\\CurrentVersion", true);
    CLEANUP_FREE char *dp = cv ? hive_get_string (&sw, cv, "DevicePath") : NULL;
    char *path = core_strdup (dp ? dp : "%SystemRoot%\\inf");
    for (size_t i = 0; path && pv_drivers[i]; i++) {
      CLEANUP_FREE char *add = core_sprintf ("%%SystemDrive%%\\" FIRSTBOOT_DIR "\\drivers\\%s",
                                             pv_drivers[i]);
      if (add && !strstr (path, add)) {
        char *np = core_sprintf ("%s;%s", path, add);
        free (path);
        path = np;
      }
    }
    if (!path || hive_set_str (&sw, "Microsoft\\Windows\\CurrentVersion", "DevicePath",
                               hive_t_REG_EXPAND_SZ, path) == -1) {
      free (path);
      goto out;
    }
    free (path);
  }

  if (disable_services (j, &sys, j->o->gone_services ? j->o->gone_services
                        : conv_win_gone_services) == -1
      || ((j->o->from_vmware || vmware_tools (j, &sys))
          && disable_services (j, &sys, vmware_services) == -1))
    goto out;

  if (firstboot) {
    /* A service runs at boot without anyone logging on, as a domain
     * controller needs; cmd.exe is no real service, so the service
     * control manager logs a timeout (event 7009) while the script goes
     * on.  RunOnce at the first logon is the fallback. */
    CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\" FIRSTBOOT_SERVICE, cs);
    const char *cmd = "%SystemRoot%\\system32\\cmd.exe /c \"%SystemDrive%\\"
      FIRSTBOOT_DIR "\\firstboot.cmd\"";
    if (!key
        || hive_set_dword (&sys, key, "Type", 0x10) == -1
        || hive_set_dword (&sys, key, "Start", 2) == -1
        || hive_set_dword (&sys, key, "ErrorControl", 0) == -1
        || hive_set_str (&sys, key, "ImagePath", hive_t_REG_EXPAND_SZ, cmd) == -1
        || hive_set_str (&sys, key, "DisplayName", hive_t_REG_SZ, "p2vkit first boot") == -1
        || hive_set_str (&sys, key, "ObjectName", hive_t_REG_SZ, "LocalSystem") == -1
        || hive_set_str (&sw, "Microsoft\\Windows\\CurrentVersion\\RunOnce", "p2vkit",
                         hive_t_REG_EXPAND_SZ, cmd) == -1)
      goto out;
  }

  if (hive_commit (&sys) == -1 || hive_commit (&sw) == -1)
    goto out;
  r = 0;
 out:
  hive_close (&sys);
  hive_close (&sw);
  return r;
}

static void
puts_clear (put_vector *v)
{
  for (size_t i = 0; i < v->len; i++) {
    free (v->ptr[i].local);
    free (v->ptr[i].dest);
    free (v->ptr[i].what);
  }
  put_vector_reset (v);
}

int
conv_win_convert_tree (const struct conv_win_fs *fs, const struct conv_win_opts *o,
                       struct conv_win_guest *g, struct conv_win_log *log)
{
  struct job j = { .fs = fs, .o = o, .g = g, .log = log };
  CLEANUP_FREE char *sys_path = fs->resolve (fs->opaque, "Windows/System32/config/system");
  CLEANUP_FREE char *sw_path = fs->resolve (fs->opaque, "Windows/System32/config/software");

  j.sysname = sys_path;
  j.swname = sw_path;
  CLEANUP_FREE char *sysfile = NULL, *swfile = NULL, *script = NULL;
  const char *pv_drivers[4] = { NULL };
  size_t npv = 0;
  int r = -1;

  memset (g, 0, sizeof *g);
  if (!sys_path || !sw_path) {
    core_error ("no Windows\\System32\\config\\%s: not a Windows system drive",
                sys_path ? "SOFTWARE" : "SYSTEM");
    return -1;
  }
  const char *tmp = getenv ("TMPDIR");
  snprintf (j.scratch, sizeof j.scratch, "%s/p2vkit-win.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp (j.scratch)) {
    core_error_errno ("mkdtemp %s", j.scratch);
    return -1;
  }
  sysfile = core_sprintf ("%s/system", j.scratch);
  swfile = core_sprintf ("%s/software", j.scratch);
  if (!sysfile || !swfile
      || fs->download (fs->opaque, sys_path, sysfile) == -1
      || fs->download (fs->opaque, sw_path, swfile) == -1
      || inspect (sysfile, swfile, sys_path, sw_path, g) == -1)
    goto out;
  if (o->arch)
    snprintf (g->ver.arch, sizeof g->ver.arch, "%s",
              strcmp (o->arch, "x86_64") == 0 ? "amd64" : "x86");
  version_label (&g->ver, j.label, sizeof j.label);
  j.paravirt = o->paravirt;
  if (o->mode_auto && choose_mode (&j) == -1)
    goto out;
  log->paravirt = j.paravirt;

  /* Everything is found before anything is written. */
  if (!j.paravirt) {
    struct need n;
    full_needs (&g->ver, &n);
    for (size_t i = 0; i < 8 && n.files[i]; i++)
      if (need_driver_file (&j, n.files[i], "the emulated IDE/SATA disk controller") == -1)
        goto out;
  }
  else {
    bool found;
    if (!o->virtio_win) {
      core_error ("paravirt mode for %s needs --virtio-win DIR", j.label);
      goto out;
    }
    if (core_win_pv_supported (&g->ver) == CORE_WIN_PV_NONE) {
      core_error ("%s has no virtio drivers; convert it in full mode", j.label);
      goto out;
    }
    if (virtio_driver (&j, "viostor", "viostor.sys", true, true, &found) == -1)
      goto out;
    pv_drivers[npv++] = "viostor";
    if (virtio_driver (&j, "vioscsi", "vioscsi.sys", false, true, &found) == -1)
      goto out;
    j.paravirt_vioscsi = found;
    if (found)
      pv_drivers[npv++] = "vioscsi";
    if (virtio_driver (&j, "NetKVM", "netkvm.sys", true, false, &found) == -1)
      goto out;
    pv_drivers[npv++] = "netkvm";
  }

  /* The HAL of 2000/XP/2003 is chosen at setup: a uniprocessor one uses
   * one processor whatever the VM has.  Vista and later have one HAL. */
  if (g->ver.major == 5 && g->hal && ends_with (g->hal, "_up") && o->vcpus > 1
      && log_add (&log->warnings, "%s runs a uniprocessor HAL (%s): it will use 1 of "
                  "its %d vCPUs; after the first boot update the Computer device in "
                  "Device Manager to \"ACPI Multiprocessor PC\", or give it 1 vCPU",
                  j.label, g->hal, o->vcpus) == -1)
    goto out;

  bool firstboot = g->nics.len > 0 || (j.paravirt && g->ver.major >= 6);
  if (firstboot) {
    CLEANUP_FREE char *local = scratch_name (&j, "firstboot.cmd");
    if (!local || !(script = firstboot_script (&j, pv_drivers))
        || write_local (local, script) == -1
        || put_add (&j, core_strdup (local), FIRSTBOOT_DIR "/firstboot.cmd",
                    core_strdup ("wrote \\" FIRSTBOOT_DIR "\\firstboot.cmd")) == -1)
      goto out;
    j.puts.ptr[j.puts.len - 1].text = script;
  }
  if (g->nics.len > 1
      && log_add (&log->warnings, "%zu adapters had fixed addresses: the first-boot "
                  "script gives them to the new adapters in the order netsh lists them; "
                  "check which address each adapter got", g->nics.len) == -1)
    goto out;

  if (edit_hives (&j, sysfile, swfile, firstboot, pv_drivers) == -1)
    goto out;

  /* Write: files first, the hives (which point at them) last. */
  for (size_t i = 0; i < j.puts.len; i++) {
    struct put *p = &j.puts.ptr[i];
    char *slash = strrchr (p->dest, '/');
    if (slash) {
      *slash = '\0';
      int m = fs->mkdir_p (fs->opaque, p->dest);
      *slash = '/';
      if (m == -1)
        goto out;
    }
    CLEANUP_FREE char *winpath = core_sprintf ("\\%s", p->dest);
    if (!winpath)
      goto out;
    for (char *c = winpath; *c; c++)
      if (*c == '/')
        *c = '\\';
    if (fs->upload (fs->opaque, p->local, p->dest) == -1
        || change_add (log, winpath, p->what, NULL, p->text, "%s", p->what) == -1)
      goto out;
  }
  if (fs->upload (fs->opaque, sysfile, sys_path) == -1
      || fs->upload (fs->opaque, swfile, sw_path) == -1)
    goto out;
  r = 0;
 out:
  puts_clear (&j.puts);
  rm_scratch (&j);
  return r;
}
