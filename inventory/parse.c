/* Parsers of the text files of /proc and /etc, and of a fleet's hosts
 * file.  The text may come from a recorded tree, so it is untrusted: every
 * parser takes any bytes and leaves unset what it cannot read
 * (tests/fuzz/fuzz-inventory.c). */
#include <ctype.h>
#include <string.h>

#include "inventory/inventory.h"

static char *
trim (char *s)
{
  char *end;

  while (*s == ' ' || *s == '\t')
    s++;
  end = s + strlen (s);
  while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'
                     || end[-1] == '\n'))
    end--;
  *end = '\0';
  return s;
}

bool
inv_split_colon (char *line, char **key, char **value)
{
  char *colon = strchr (line, ':');

  if (colon == NULL)
    return false;
  *colon = '\0';
  *key = trim (line);
  *value = trim (colon + 1);
  return true;
}

/* Lines of TEXT, one at a time, into a copy the caller may modify. */
struct lines {
  const char *p;
  char *buf;
  size_t cap;
};

static char *
next_line (struct lines *l)
{
  const char *end;
  size_t n;

  if (l->p == NULL || *l->p == '\0')
    return NULL;
  end = strchr (l->p, '\n');
  n = end ? (size_t) (end - l->p) : strlen (l->p);
  if (core_vector_reserve ((void **) &l->buf, &l->cap, 0, n + 1, 1) == -1)
    return NULL;
  memcpy (l->buf, l->p, n);
  l->buf[n] = '\0';
  l->p = end ? end + 1 : l->p + n;
  return l->buf;
}

static bool
parse_u64 (const char *s, uint64_t *out)
{
  int64_t v;

  /* Counters of /proc are unsigned 64-bit, but none of the ones read here
   * gets near 2^63 in a machine's life. */
  if (core_parse_int64 (s, "counter", 0, INT64_MAX, &v) == -1)
    return false;
  *out = v;
  return true;
}

/* cpuinfo ------------------------------------------------------------ */

/* The distinct (physical id, core id) pairs seen, to count sockets and
 * cores the way lscpu does. */
struct pair { int64_t socket, core; };
DEFINE_VECTOR_TYPE(pair_vector, struct pair)

static void
add_pair (pair_vector *v, int64_t socket, int64_t core)
{
  for (size_t i = 0; i < v->len; i++)
    if (v->ptr[i].socket == socket && v->ptr[i].core == core)
      return;
  pair_vector_append (v, (struct pair) { socket, core });
}

static bool
has_word (const char *list, const char *word)
{
  size_t n = strlen (word);

  for (const char *p = list; (p = strstr (p, word)) != NULL; p += n)
    if ((p == list || p[-1] == ' ' || p[-1] == '\t')
        && (p[n] == '\0' || p[n] == ' ' || p[n] == '\t'))
      return true;
  return false;
}

void
inv_parse_cpuinfo (const char *text, struct inv_cpuinfo *out)
{
  struct lines l = { .p = text };
  pair_vector pairs = { 0 };
  int64_t processors = 0, socket = CORE_UNSET, core = CORE_UNSET;
  int64_t sockets_max = -1;
  bool topology = true, in_processor = false;
  char *line, *key, *value;

  memset (out, 0, sizeof *out);
  out->sockets = out->cores = out->threads = CORE_UNSET;
  out->mhz = CORE_UNSET;
  out->virt = CORE_VIRT_UNSET;

  /* Each processor is a block of lines that ends with a blank line. */
  for (;;) {
    line = next_line (&l);
    if (line == NULL || *trim (line) == '\0') {
      if (in_processor) {
        if (socket == CORE_UNSET || core == CORE_UNSET)
          topology = false;
        else
          add_pair (&pairs, socket, core);
        if (socket > sockets_max)
          sockets_max = socket;
      }
      in_processor = false;
      socket = core = CORE_UNSET;
      if (line == NULL)
        break;
      continue;
    }
    if (!inv_split_colon (line, &key, &value))
      continue;
    if (strcmp (key, "processor") == 0) {
      int64_t n;
      /* ARM kernels also print a "Processor" line naming the model. */
      if (core_parse_int64 (value, key, 0, INT32_MAX, &n) == 0) {
        processors++;
        in_processor = true;
      }
    }
    else if (strcmp (key, "model name") == 0 && out->model == NULL && *value)
      out->model = strdup (value);
    else if (strcmp (key, "physical id") == 0)
      core_parse_int64 (value, key, 0, INT32_MAX, &socket);
    else if (strcmp (key, "core id") == 0)
      core_parse_int64 (value, key, 0, INT32_MAX, &core);
    else if (strcmp (key, "cpu MHz") == 0) {
      double mhz;
      if (core_parse_double (value, key, 1, 1e6, &mhz) == 0 && mhz > out->mhz)
        out->mhz = mhz;
    }
    else if (strcmp (key, "flags") == 0) {
      if (has_word (value, "vmx"))
        out->virt = CORE_VIRT_VMX;
      else if (has_word (value, "svm"))
        out->virt = CORE_VIRT_SVM;
      else if (out->virt == CORE_VIRT_UNSET)
        out->virt = CORE_VIRT_NONE;
    }
  }
  free (l.buf);

  if (processors > 0) {
    out->threads = processors;
    if (topology && pairs.len > 0) {
      int64_t sockets = 0;
      /* Count distinct physical ids. */
      for (size_t i = 0; i < pairs.len; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
          if (pairs.ptr[j].socket == pairs.ptr[i].socket)
            seen = true;
        if (!seen)
          sockets++;
      }
      out->sockets = sockets;
      out->cores = pairs.len;
    }
    else
      /* No topology (single-core kernels, some hypervisors): every
       * processor the kernel sees is a core. */
      out->cores = processors;
  }
  pair_vector_reset (&pairs);
}

void
inv_cpuinfo_clear (struct inv_cpuinfo *c)
{
  if (c == NULL)
    return;
  free (c->model);
  c->model = NULL;
}

/* meminfo ------------------------------------------------------------ */

void
inv_parse_meminfo (const char *text, struct inv_meminfo *out)
{
  static const char *const keys[] =
    { "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached",
      "SReclaimable", NULL };
  int64_t *fields[] =
    { &out->total_kib, &out->free_kib, &out->available_kib,
      &out->buffers_kib, &out->cached_kib, &out->sreclaimable_kib };
  struct lines l = { .p = text };
  char *line, *key, *value;

  for (int i = 0; keys[i]; i++)
    *fields[i] = CORE_UNSET;
  while ((line = next_line (&l)) != NULL) {
    if (!inv_split_colon (line, &key, &value))
      continue;
    for (int i = 0; keys[i]; i++)
      if (strcmp (key, keys[i]) == 0) {
        if (core_ends_with (value, " kB"))
          value[strlen (value) - 3] = '\0';
        core_parse_int64 (trim (value), key, 0, INT64_MAX / 1024, fields[i]);
      }
  }
  free (l.buf);
}

int64_t
inv_meminfo_used_kib (const struct inv_meminfo *m)
{
  int64_t used;

  if (m->total_kib == CORE_UNSET)
    return -1;
  /* free(1) of procps 4: total - available.  Kernels before 3.14 have no
   * MemAvailable: then what older procps did, total - free - buffers -
   * cache (with reclaimable slab when the kernel tells it). */
  if (m->available_kib != CORE_UNSET)
    used = m->total_kib - m->available_kib;
  else {
    if (m->free_kib == CORE_UNSET || m->buffers_kib == CORE_UNSET
        || m->cached_kib == CORE_UNSET)
      return -1;
    used = m->total_kib - m->free_kib - m->buffers_kib - m->cached_kib;
    if (m->sreclaimable_kib != CORE_UNSET)
      used -= m->sreclaimable_kib;
  }
  if (used < 0)
    used = m->total_kib - (m->free_kib != CORE_UNSET ? m->free_kib : 0);
  return used < 0 ? 0 : used;
}

/* os-release --------------------------------------------------------- */

char *
inv_os_release_get (const char *text, const char *key)
{
  struct lines l = { .p = text };
  size_t klen = strlen (key);
  char *line, *r = NULL;

  while (r == NULL && (line = next_line (&l)) != NULL) {
    char *v, *out;

    line = trim (line);
    if (strncmp (line, key, klen) != 0 || line[klen] != '=')
      continue;
    v = line + klen + 1;
    /* Shell-style: "..." with backslash escapes, '...', or bare. */
    out = v;
    if (*v == '"' || *v == '\'') {
      char q = *v++;
      char *w = out;
      for (; *v && *v != q; v++) {
        if (q == '"' && *v == '\\' && v[1])
          v++;
        *w++ = *v;
      }
      *w = '\0';
    }
    if (*out)
      r = strdup (out);
  }
  free (l.buf);
  return r;
}

/* mounts ------------------------------------------------------------- */

/* \040 and friends: the kernel escapes space, tab, newline and
 * backslash in mount paths. */
static void
unescape_octal (char *s)
{
  char *w = s;

  for (char *p = s; *p; p++) {
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0'
        && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
      int c = (p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0');
      if (c != 0) {
        *w++ = c;
        p += 3;
        continue;
      }
    }
    *w++ = *p;
  }
  *w = '\0';
}

int
inv_parse_mounts (const char *text, inv_mount_vector *out)
{
  struct lines l = { .p = text };
  char *line;

  while ((line = next_line (&l)) != NULL) {
    char *save = NULL;
    char *dev = strtok_r (line, " \t", &save);
    char *mnt = strtok_r (NULL, " \t", &save);
    char *type = strtok_r (NULL, " \t", &save);
    struct inv_mount m;

    if (dev == NULL || mnt == NULL || type == NULL)
      continue;
    unescape_octal (dev);
    unescape_octal (mnt);
    m.device = strdup (dev);
    m.mount = strdup (mnt);
    m.type = strdup (type);
    if (m.device == NULL || m.mount == NULL || m.type == NULL
        || inv_mount_vector_append (out, m) == -1) {
      free (m.device);
      free (m.mount);
      free (m.type);
      free (l.buf);
      core_error ("out of memory");
      return -1;
    }
  }
  free (l.buf);
  return 0;
}

void
inv_mounts_free (inv_mount_vector *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->len; i++) {
    free (v->ptr[i].device);
    free (v->ptr[i].mount);
    free (v->ptr[i].type);
  }
  inv_mount_vector_reset (v);
}

/* /proc/net sockets --------------------------------------------------- */

static bool
parse_hex_port (const char *addr, int64_t *port)
{
  const char *colon = strrchr (addr, ':');
  int64_t v = 0;
  size_t n = 0;

  if (colon == NULL)
    return false;
  for (const char *p = colon + 1; *p; p++, n++) {
    int d;
    if (*p >= '0' && *p <= '9') d = *p - '0';
    else if (*p >= 'A' && *p <= 'F') d = *p - 'A' + 10;
    else if (*p >= 'a' && *p <= 'f') d = *p - 'a' + 10;
    else return false;
    v = v * 16 + d;
    if (n >= 4)
      return false;
  }
  if (n == 0)
    return false;
  *port = v;
  return true;
}

int
inv_parse_net_sockets (const char *text, enum core_proto proto,
                       inv_socket_vector *out)
{
  struct lines l = { .p = text };
  char *line;

  while ((line = next_line (&l)) != NULL) {
    char *save = NULL, *f[10];
    int64_t lport, rport;
    uint64_t inode;
    int n = 0;

    /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
    for (char *t = strtok_r (line, " \t", &save); t && n < 10;
         t = strtok_r (NULL, " \t", &save))
      f[n++] = t;
    if (n < 10 || !parse_hex_port (f[1], &lport) || !parse_hex_port (f[2], &rport))
      continue;                 /* the header line, or junk */
    if (!parse_u64 (f[9], &inode))
      continue;
    /* TCP: LISTEN (0A).  UDP: unconnected (07) sockets bound to a port,
     * as ss -lu shows them. */
    if (proto == CORE_PROTO_TCP ? strcmp (f[3], "0A") != 0
        : (strcmp (f[3], "07") != 0 || rport != 0))
      continue;
    if (lport == 0)
      continue;
    if (inv_socket_vector_append (out, (struct inv_socket) { proto, lport, inode }) == -1) {
      free (l.buf);
      return -1;
    }
  }
  free (l.buf);
  return 0;
}

/* Counters ------------------------------------------------------------ */

static int
add_counter (inv_counter_vector *out, const char *name, uint64_t a, uint64_t b)
{
  struct inv_counter c;

  if (strlen (name) >= sizeof c.name)
    return 0;                   /* no device has such a name */
  strcpy (c.name, name);
  c.a = a;
  c.b = b;
  return inv_counter_vector_append (out, c);
}

int
inv_parse_diskstats (const char *text, inv_counter_vector *out)
{
  struct lines l = { .p = text };
  char *line;

  while ((line = next_line (&l)) != NULL) {
    char *save = NULL, *f[10];
    uint64_t rd, rsec, wr, wsec;
    int n = 0;

    /* major minor name reads merged sectors ms writes merged sectors ...
     * (partitions of kernels before 2.6.25 have 4 counters only: they
     * are not whole disks and fail the checks below). */
    for (char *t = strtok_r (line, " \t", &save); t && n < 10;
         t = strtok_r (NULL, " \t", &save))
      f[n++] = t;
    if (n < 10 || !parse_u64 (f[3], &rd) || !parse_u64 (f[5], &rsec)
        || !parse_u64 (f[7], &wr) || !parse_u64 (f[9], &wsec))
      continue;
    if (add_counter (out, f[2], rd + wr, rsec + wsec) == -1) {
      free (l.buf);
      return -1;
    }
  }
  free (l.buf);
  return 0;
}

int
inv_parse_netdev (const char *text, inv_counter_vector *out)
{
  struct lines l = { .p = text };
  char *line;

  while ((line = next_line (&l)) != NULL) {
    char *colon = strrchr (line, ':'), *save = NULL, *name, *f[9];
    uint64_t rx, tx;
    int n = 0;

    /* "  eth0: rx_bytes packets ... tx_bytes ..."; old kernels print no
     * space after the colon. */
    if (colon == NULL)
      continue;
    *colon = '\0';
    name = trim (line);
    for (char *t = strtok_r (colon + 1, " \t", &save); t && n < 9;
         t = strtok_r (NULL, " \t", &save))
      f[n++] = t;
    if (n < 9 || *name == '\0' || !parse_u64 (f[0], &rx) || !parse_u64 (f[8], &tx))
      continue;
    if (add_counter (out, name, rx, tx) == -1) {
      free (l.buf);
      return -1;
    }
  }
  free (l.buf);
  return 0;
}

int
inv_parse_stat_cpu (const char *text, uint64_t *total, uint64_t *idle)
{
  char line[512], *save = NULL, *t;
  uint64_t v[8] = { 0 };
  size_t n = strcspn (text, "\n");
  int i = 0;

  if (n >= sizeof line)
    return -1;
  memcpy (line, text, n);
  line[n] = '\0';
  t = strtok_r (line, " \t", &save);
  if (t == NULL || strcmp (t, "cpu") != 0)
    return -1;
  /* user nice system idle iowait irq softirq steal (guest and guest_nice
   * are already counted in user and nice).  Kernels before 2.6.11 give
   * fewer fields. */
  while (i < 8 && (t = strtok_r (NULL, " \t", &save)) != NULL) {
    if (!parse_u64 (t, &v[i]))
      return -1;
    i++;
  }
  if (i < 4)
    return -1;
  *total = 0;
  for (int k = 0; k < i; k++)
    *total += v[k];
  *idle = v[3] + v[4];
  return 0;
}

char *
inv_parse_stat_comm (const char *text)
{
  const char *open = strchr (text, '('), *close = strrchr (text, ')');

  if (open == NULL || close == NULL || close <= open + 1)
    return NULL;
  return core_strndup (open + 1, close - open - 1);
}

/* Hosts file ---------------------------------------------------------- */

static bool
valid_name (const char *s)
{
  if (*s == '\0' || *s == '.' || *s == '-')
    return false;
  for (; *s; s++)
    if (!(isalnum ((unsigned char) *s) || *s == '.' || *s == '-' || *s == '_'))
      return false;
  return true;
}

int
inv_parse_host_line (const char *file, size_t lineno, const char *line,
                     struct inv_host *out)
{
  CLEANUP_FREE char *copy = core_strdup (line);
  char *save = NULL, *dest, *name, *extra, *at, *host, *colon;

  memset (out, 0, sizeof *out);
  out->port = CORE_UNSET;
  out->line = lineno;
  if (copy == NULL)
    return -1;
  copy[strcspn (copy, "#")] = '\0';
  dest = strtok_r (copy, " \t\r", &save);
  if (dest == NULL)
    return 0;
  name = strtok_r (NULL, " \t\r", &save);
  extra = strtok_r (NULL, " \t\r", &save);
  if (extra) {
    core_error_at (file, lineno, 0, "expected '[user@]host[:port] [NAME]', "
                   "got more fields");
    return -1;
  }
  out->line_text = core_strdup (dest);
  if (out->line_text == NULL)
    return -1;
  at = strrchr (dest, '@');
  host = at ? at + 1 : dest;
  /* [v6:addr]:port, or host:port; a bare IPv6 address has many ':'. */
  if (*host == '[') {
    char *close = strchr (host, ']');
    if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
      core_error_at (file, lineno, 0, "'%s': unbalanced '['", out->line_text);
      goto fail;
    }
    *close = '\0';
    colon = close[1] == ':' ? close + 1 : NULL;
    host++;
  }
  else {
    colon = strchr (host, ':');
    if (colon && strchr (colon + 1, ':'))
      colon = NULL;
  }
  if (colon) {
    char field[64];
    snprintf (field, sizeof field, "%s:%zu: port", file, lineno);
    if (core_parse_int64 (colon + 1, field, 1, 65535, &out->port) == -1)
      goto fail;
    *colon = '\0';
  }
  /* A leading '-' would be taken for an option by ssh. */
  if (*host == '\0' || *host == '-' || (at && (at == dest || *dest == '-'))) {
    core_error_at (file, lineno, 0, "'%s' is not [user@]host[:port]",
                   out->line_text);
    goto fail;
  }
  if (name && !valid_name (name)) {
    core_error_at (file, lineno, 0, "'%s' is not a valid name (letters, "
                   "digits, '.', '-', '_')", name);
    goto fail;
  }
  out->host = core_strdup (host);
  if (at) {
    *at = '\0';
    out->user = core_strdup (dest);
  }
  if (name)
    out->name = core_strdup (name);
  if (out->host == NULL || (at && out->user == NULL) || (name && out->name == NULL))
    goto fail;
  return 1;

 fail:
  free (out->line_text);
  free (out->host);
  free (out->user);
  free (out->name);
  out->line_text = out->host = out->user = out->name = NULL;
  return -1;
}

int
inv_parse_hosts (const char *file, const char *text, inv_host_vector *out)
{
  struct lines l = { .p = text };
  size_t lineno = 0, first = out->len;
  char *line;

  while ((line = next_line (&l)) != NULL) {
    struct inv_host h;
    int r = inv_parse_host_line (file, ++lineno, line, &h);

    if (r == 0)
      continue;
    if (r == -1 || inv_host_vector_append (out, h) == -1)
      goto fail;
    /* One server, one file: two lines naming the same output would
     * overwrite each other. */
    for (size_t i = first; i + 1 < out->len; i++) {
      struct inv_host *o = &out->ptr[i];
      if (h.name && o->name && strcmp (h.name, o->name) == 0) {
        core_error_at (file, lineno, 0, "name '%s' is also given on line %zu",
                       h.name, o->line);
        goto fail;
      }
      if (strcmp (h.line_text, o->line_text) == 0) {
        core_error_at (file, lineno, 0, "'%s' is also listed on line %zu",
                       h.line_text, o->line);
        goto fail;
      }
    }
  }
  free (l.buf);
  if (out->len == first) {
    core_error ("%s: lists no host", file);
    return -1;
  }
  return 0;

 fail:
  free (l.buf);
  return -1;
}

void
inv_hosts_free (inv_host_vector *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->len; i++) {
    free (v->ptr[i].line_text);
    free (v->ptr[i].user);
    free (v->ptr[i].host);
    free (v->ptr[i].name);
  }
  inv_host_vector_reset (v);
}

char *
inv_name_from_hostname (const char *hostname)
{
  size_t n = strcspn (hostname, ".");
  char *name = core_strndup (hostname, n);

  if (name == NULL)
    return NULL;
  /* Profile names are letters, digits, '.', '-' and '_'. */
  for (char *p = name; *p; p++)
    if (!(isalnum ((unsigned char) *p) || *p == '-' || *p == '_'))
      *p = '-';
  if (!valid_name (name)) {
    free (name);
    core_error ("host name '%s' gives no usable profile name", hostname);
    return NULL;
  }
  return name;
}
