/* Does the VM do what its server did?  The facts block that the
 * converter's first-boot reporter writes to the guest's serial console
 * (docs/converter.md, "The facts reporter"), read from the console's
 * text, and compared with the server's profile: its TCP services
 * listening, its addresses configured on an interface that is up.
 *
 * The console is shared with the kernel, getty and whatever else writes
 * there, so the block's lines each start with a tag and every line
 * without a known tag is noise, skipped.  The tools' own output is sent
 * as it is (old servers have old tools): parsing it here keeps the
 * reporter small enough to run anywhere.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "migrate/migrate.h"

#define MAX_TOKENS 24

void
mig_facts_init (struct mig_facts *f)
{
  memset (f, 0, sizeof *f);
}

void
mig_facts_clear (struct mig_facts *f)
{
  if (f == NULL)
    return;
  free (f->os);
  for (size_t i = 0; i < f->listening.len; i++)
    free (f->listening.ptr[i].address);
  mig_fact_port_vector_reset (&f->listening);
  for (size_t i = 0; i < f->addresses.len; i++) {
    free (f->addresses.ptr[i].ifname);
    free (f->addresses.ptr[i].address);
  }
  mig_fact_addr_vector_reset (&f->addresses);
  mig_facts_init (f);
}

/* Split S (modified) at blanks into at most MAX_TOKENS words. */
static size_t
split (char *s, char **tok)
{
  size_t n = 0;

  while (n < MAX_TOKENS) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (*s == '\0')
      break;
    tok[n++] = s;
    while (*s && *s != ' ' && *s != '\t')
      s++;
    if (*s)
      *s++ = '\0';
  }
  return n;
}

static int
add_port (struct mig_facts *f, const char *address, size_t alen, long port)
{
  struct mig_fact_port p = { .port = port };

  if (port < 0 || port > 65535)
    return 0;
  /* [::]:22 -> ::, 127.0.0.53%lo:53 -> 127.0.0.53 */
  if (alen >= 2 && address[0] == '[' && address[alen - 1] == ']') {
    address++;
    alen -= 2;
  }
  const char *pct = memchr (address, '%', alen);
  if (pct)
    alen = pct - address;
  if ((p.address = strndup (address, alen)) == NULL
      || mig_fact_port_vector_append (&f->listening, p) == -1) {
    free (p.address);
    core_error_errno ("facts");
    return -1;
  }
  return 0;
}

/* ADDR:PORT, [ADDR]:PORT, *:PORT, :::PORT (decimal port). */
static int
add_host_port (struct mig_facts *f, const char *s)
{
  const char *colon = strrchr (s, ':');
  char *end;
  long port;

  if (colon == NULL || colon[1] == '\0')
    return 0;
  port = strtol (colon + 1, &end, 10);
  if (*end != '\0' || !isdigit ((unsigned char) colon[1]))
    return 0;
  return add_port (f, s, colon - s, port);
}

/* ss -ltn: State Recv-Q Send-Q Local:Port Peer:Port */
static int
parse_ss (struct mig_facts *f, char **tok, size_t n)
{
  if (n < 5 || strcmp (tok[0], "LISTEN") != 0)
    return 0;
  return add_host_port (f, tok[3]);
}

/* netstat -ltn (Linux): tcp Recv-Q Send-Q Local Foreign LISTEN;
 * netstat -an -p tcp (Windows): TCP Local Foreign LISTENING. */
static int
parse_netstat (struct mig_facts *f, char **tok, size_t n)
{
  if (n < 4 || strncasecmp (tok[0], "tcp", 3) != 0
      || (strcmp (tok[n - 1], "LISTEN") != 0 && strcmp (tok[n - 1], "LISTENING") != 0))
    return 0;
  for (size_t i = 1; i < n - 1; i++)
    if (strchr (tok[i], ':'))
      return add_host_port (f, tok[i]);
  return 0;
}

/* /proc/net/tcp and tcp6: sl local_address rem_address st ...; the
 * address is the kernel's words in hex, in host (little-endian) order. */
static int
parse_proc (struct mig_facts *f, char **tok, size_t n)
{
  char *colon, *end;
  unsigned char a[16];
  char text[INET6_ADDRSTRLEN];
  size_t hexlen;
  long port;

  if (n < 4 || strcmp (tok[3], "0A") != 0 || (colon = strchr (tok[1], ':')) == NULL)
    return 0;
  port = strtol (colon + 1, &end, 16);
  if (*end != '\0' || end == colon + 1)
    return 0;
  hexlen = colon - tok[1];
  if (hexlen != 8 && hexlen != 32)
    return 0;
  for (size_t w = 0; w < hexlen / 8; w++)
    for (size_t b = 0; b < 4; b++) {
      char byte[3] = { tok[1][w * 8 + (3 - b) * 2], tok[1][w * 8 + (3 - b) * 2 + 1], 0 };
      if (!isxdigit ((unsigned char) byte[0]) || !isxdigit ((unsigned char) byte[1]))
        return 0;
      a[w * 4 + b] = strtoul (byte, NULL, 16);
    }
  if (!inet_ntop (hexlen == 8 ? AF_INET : AF_INET6, a, text, sizeof text))
    return 0;
  return add_port (f, text, strlen (text), port);
}

/* An interface name as ip prints it: "eth0:", "veth1@if5". */
static char *
ifname_dup (const char *s)
{
  size_t n = strcspn (s, "@");

  if (n > 0 && s[n - 1] == ':' && s[n] == '\0')
    n--;
  return strndup (s, n);
}

/* An address with its prefix length (PREFIX -1: unknown), if S is one. */
static int
add_addr (struct mig_facts *f, const char *ifname, const char *s, int prefix, bool up)
{
  struct mig_fact_addr a = { .prefix = prefix, .up = up };
  unsigned char bytes[16];
  const char *slash = strchr (s, '/');
  size_t alen = slash ? (size_t) (slash - s) : strcspn (s, "%(");
  char host[INET6_ADDRSTRLEN + 1];

  if (alen == 0 || alen >= sizeof host)
    return 0;
  memcpy (host, s, alen);
  host[alen] = '\0';
  host[strcspn (host, "%")] = '\0';
  if (inet_pton (strchr (host, ':') ? AF_INET6 : AF_INET, host, bytes) != 1)
    return 0;
  if (slash) {
    char *end;
    long p = strtol (slash + 1, &end, 10);
    if (end == slash + 1 || p < 0 || p > 128)
      return 0;
    a.prefix = p;
  }
  if ((a.ifname = strdup (ifname ? ifname : "?")) == NULL
      || (a.address = strdup (host)) == NULL
      || mig_fact_addr_vector_append (&f->addresses, a) == -1) {
    free (a.ifname);
    free (a.address);
    core_error_errno ("facts");
    return -1;
  }
  return 0;
}

/* A netmask (dotted or 0xffffff00) as a prefix length; -1 if none. */
static int
mask_prefix (const char *s)
{
  struct in_addr m;
  uint32_t v;
  int n = 0;

  if (strncmp (s, "0x", 2) == 0) {
    char *end;
    v = strtoul (s + 2, &end, 16);
    if (*end)
      return -1;
  }
  else if (inet_pton (AF_INET, s, &m) == 1)
    v = ntohl (m.s_addr);
  else
    return -1;
  while (v & 0x80000000u) {
    n++;
    v <<= 1;
  }
  return v ? -1 : n;
}

/* What the parse of one block keeps between lines. */
struct block {
  core_string_vector up_links, down_links;   /* ip -o link */
  size_t ip_from;                            /* first address from ip -o addr */
  bool have_ip;
  char *ifname;                              /* ifconfig, ipconfig: the one being read */
  bool if_up;
  size_t if_from;                            /* its first address */
};

static void
block_clear (struct block *b)
{
  core_string_vector_free (&b->up_links);
  core_string_vector_free (&b->down_links);
  free (b->ifname);
}

/* ifconfig and ipconfig list addresses per interface, its state after
 * or before them: the state is set on all of them when the next begins. */
static void
end_interface (struct mig_facts *f, struct block *b)
{
  for (size_t i = b->if_from; i < f->addresses.len; i++)
    f->addresses.ptr[i].up = b->if_up;
  free (b->ifname);
  b->ifname = NULL;
  b->if_from = f->addresses.len;
}

static int
start_interface (struct mig_facts *f, struct block *b, const char *name, size_t n, bool up)
{
  end_interface (f, b);
  if ((b->ifname = strndup (name, n)) == NULL) {
    core_error_errno ("facts");
    return -1;
  }
  b->if_up = up;
  return 0;
}

/* ifconfig -a, net-tools before 2.10 ("eth0  Link encap:...", "inet
 * addr:A  Mask:M", "UP BROADCAST RUNNING") and after ("eth0:
 * flags=4163<UP,...>", "inet A  netmask M", "inet6 A  prefixlen N"). */
static int
parse_ifconfig (struct mig_facts *f, struct block *b, char *line)
{
  char *tok[MAX_TOKENS];
  bool indented = *line == ' ' || *line == '\t';
  size_t n = split (line, tok);

  if (n == 0)
    return 0;
  if (!indented) {
    size_t len = strlen (tok[0]);
    bool up = false;
    if (len > 1 && tok[0][len - 1] == ':')
      len--;
    for (size_t i = 1; i < n; i++)
      if (strncmp (tok[i], "flags=", 6) == 0) {
        char *lt = strchr (tok[i], '<');
        up = lt && (strncmp (lt, "<UP,", 4) == 0 || strncmp (lt, "<UP>", 4) == 0);
      }
    return start_interface (f, b, tok[0], len, up);
  }
  if (b->ifname == NULL)
    return 0;
  if (strcmp (tok[0], "UP") == 0) {
    b->if_up = true;
    return 0;
  }
  if (strcmp (tok[0], "inet") == 0 && n >= 2) {
    const char *a = tok[1];
    int prefix = -1;
    if (strncmp (a, "addr:", 5) == 0)
      a += 5;
    for (size_t i = 2; i < n; i++) {
      if (strncmp (tok[i], "Mask:", 5) == 0)
        prefix = mask_prefix (tok[i] + 5);
      else if (strcmp (tok[i], "netmask") == 0 && i + 1 < n)
        prefix = mask_prefix (tok[i + 1]);
    }
    return add_addr (f, b->ifname, a, prefix, false);
  }
  if (strcmp (tok[0], "inet6") == 0 && n >= 2) {
    size_t i = strcmp (tok[1], "addr:") == 0 ? 2 : 1;
    int prefix = -1;
    if (i >= n)
      return 0;
    for (size_t k = i + 1; k + 1 < n; k++)
      if (strcmp (tok[k], "prefixlen") == 0) {
        char *end;
        long v = strtol (tok[k + 1], &end, 10);
        prefix = *end == '\0' && end != tok[k + 1] && v >= 0 && v <= 128 ? (int) v : -1;
      }
    return add_addr (f, b->ifname, tok[i], prefix, false);
  }
  return 0;
}

/* ipconfig (every Windows): "Ethernet adapter NAME:", then
 * "   IPv4 Address. . . : A(Preferred)" (XP, 2003: "IP Address"),
 * "   Subnet Mask . . . : M", "   Media State . . . : Media
 * disconnected" for an adapter that is down.  IPv6 has no prefix length
 * here. */
static int
parse_ipconfig (struct mig_facts *f, struct block *b, char *line)
{
  bool indented = *line == ' ' || *line == '\t';
  size_t len = strlen (line);

  while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
    line[--len] = '\0';
  if (!indented) {
    const char *ad = strcasestr (line, "adapter ");
    if (ad && len > 0 && line[len - 1] == ':')
      return start_interface (f, b, ad + 8, line + len - 1 - (ad + 8), true);
    return 0;
  }
  char *sep = strstr (line, ": ");
  if (b->ifname == NULL || sep == NULL)
    return 0;
  *sep = '\0';
  char *key = line, *value = sep + 2;
  while (*value == ' ')
    value++;
  if (strcasestr (key, "media state")) {
    if (strcasestr (value, "disconnected"))
      b->if_up = false;
    return 0;
  }
  if (strcasestr (key, "mask")) {
    int prefix = mask_prefix (value);
    /* The mask belongs to the IPv4 address before it. */
    for (size_t i = f->addresses.len; i > b->if_from; i--) {
      struct mig_fact_addr *a = &f->addresses.ptr[i - 1];
      if (!strchr (a->address, ':')) {
        if (a->prefix < 0)
          a->prefix = prefix;
        break;
      }
    }
    return 0;
  }
  if (!strcasestr (key, "ip") || strcasestr (key, "dns") || strcasestr (key, "dhcp")
      || strcasestr (key, "gateway") || strcasestr (key, "server") || strcasestr (key, "wins"))
    return 0;
  return add_addr (f, b->ifname, value, -1, false);
}

/* One line of the block; TAG ends at TEXT. */
static int
parse_line (struct mig_facts *f, struct block *b, const char *tag, char *text)
{
  char *tok[MAX_TOKENS];
  size_t n;

  if (strcmp (tag, "os") == 0) {
    n = split (text, tok);
    if (n >= 1 && f->os == NULL && (f->os = strdup (tok[0])) == NULL) {
      core_error_errno ("facts");
      return -1;
    }
    return 0;
  }
  if (strcmp (tag, "tcp-ss") == 0)
    return n = split (text, tok), parse_ss (f, tok, n);
  if (strcmp (tag, "tcp-netstat") == 0)
    return n = split (text, tok), parse_netstat (f, tok, n);
  if (strcmp (tag, "tcp-proc") == 0)
    return n = split (text, tok), parse_proc (f, tok, n);
  if (strcmp (tag, "ip-addr") == 0) {
    /* 2: eth0    inet 192.0.2.10/24 brd ... */
    n = split (text, tok);
    if (n < 4 || (strcmp (tok[2], "inet") != 0 && strcmp (tok[2], "inet6") != 0))
      return 0;
    CLEANUP_FREE char *name = ifname_dup (tok[1]);
    if (name == NULL) {
      core_error_errno ("facts");
      return -1;
    }
    b->have_ip = true;
    return add_addr (f, name, tok[3], -1, false);
  }
  if (strcmp (tag, "ip-link") == 0) {
    /* 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ... */
    n = split (text, tok);
    if (n < 3 || tok[2][0] != '<')
      return 0;
    char *name = ifname_dup (tok[1]);
    bool up = strstr (tok[2], "<UP,") || strstr (tok[2], ",UP,") || strstr (tok[2], ",UP>")
      || strstr (tok[2], "<UP>");
    if (name == NULL
        || core_string_vector_append (up ? &b->up_links : &b->down_links, name) == -1) {
      free (name);
      core_error_errno ("facts");
      return -1;
    }
    return 0;
  }
  if (strcmp (tag, "ifconfig") == 0)
    return parse_ifconfig (f, b, text);
  if (strcmp (tag, "ipconfig") == 0)
    return parse_ipconfig (f, b, text);
  return 0;
}

static const char *const tags[] = {
  "os", "tcp-ss", "tcp-netstat", "tcp-proc", "ip-addr", "ip-link", "ifconfig", "ipconfig", NULL
};

/* The start of the line that holds P. */
static const char *
line_start (const char *text, const char *p)
{
  while (p > text && p[-1] != '\n')
    p--;
  return p;
}

/* The last occurrence of WORD in TEXT[0..LEN) at the start of a line
 * (after blanks and \r), or NULL. */
static const char *
last_marker (const char *text, size_t len, const char *word)
{
  size_t wl = strlen (word);

  for (size_t i = len; i >= wl; i--) {
    const char *p = text + i - wl;
    if (memcmp (p, word, wl) != 0)
      continue;
    const char *s = line_start (text, p);
    while (s < p && (*s == ' ' || *s == '\t' || *s == '\r'))
      s++;
    if (s == p)
      return p;
  }
  return NULL;
}

int
mig_facts_parse (const char *text, size_t len, struct mig_facts *out)
{
  const char *end, *begin, *p;
  struct block b = { 0 };
  size_t line = 1;
  int ret = -1;

  mig_facts_init (out);
  if ((end = last_marker (text, len, MIG_FACTS_END)) == NULL
      || (begin = last_marker (text, end - text, MIG_FACTS_BEGIN)) == NULL)
    return 1;
  for (p = text; p < begin; p++)
    line += *p == '\n';
  /* The version: "P2VKIT-FACTS-BEGIN v1". */
  {
    const char *v = begin + strlen (MIG_FACTS_BEGIN);
    size_t vl;
    while (*v == ' ')
      v++;
    vl = strcspn (v, " \t\r\n");
    if (v + vl > end || vl != 2 || memcmp (v, "v1", 2) != 0) {
      core_error ("console line %zu: facts block of version '%.*s': p2vkit reads version v1",
                  line, v + vl > end ? 0 : vl < 32 ? (int) vl : 32, v);
      return -1;
    }
  }
  p = memchr (begin, '\n', end - begin);
  while (p && p < end) {
    const char *eol = memchr (p + 1, '\n', end - (p + 1));
    size_t n = (eol ? eol : end) - (p + 1);
    CLEANUP_FREE char *copy = strndup (p + 1, n);
    char *s;

    if (copy == NULL) {
      core_error_errno ("facts");
      goto out;
    }
    for (s = copy; *s; s++)
      if (*s == '\r')
        *s = ' ';
    for (size_t t = 0; tags[t]; t++) {
      size_t tl = strlen (tags[t]);
      if (strncmp (copy, tags[t], tl) == 0 && (copy[tl] == ' ' || copy[tl] == '\0')) {
        char *rest = copy + tl + (copy[tl] == ' ');
        if (parse_line (out, &b, tags[t], rest) == -1)
          goto out;
        break;
      }
    }
    p = eol;
  }
  end_interface (out, &b);
  /* ip -o addr: an address is on an interface that is up when ip -o
   * link says so. */
  for (size_t i = 0; b.have_ip && i < out->addresses.len; i++)
    for (size_t k = 0; k < b.up_links.len; k++)
      if (strcmp (b.up_links.ptr[k], out->addresses.ptr[i].ifname) == 0)
        out->addresses.ptr[i].up = true;
  if (out->os == NULL) {
    core_error ("console line %zu: the facts block has no 'os' line: not written by "
                "p2vkit's reporter, or cut by other output on the console", line);
    goto out;
  }
  ret = 0;
 out:
  block_clear (&b);
  if (ret == -1)
    mig_facts_clear (out);
  return ret;
}

/* An address with its prefix as bytes; -1 when it is none. */
static int
parse_addr (const char *s, int *family, unsigned char a[16])
{
  *family = strchr (s, ':') ? AF_INET6 : AF_INET;
  return inet_pton (*family, s, a) == 1 ? 0 : -1;
}

int
mig_verify_facts (const struct core_profile *p, const struct mig_facts *f,
                  core_string_vector *missing)
{
  size_t before = missing->len;

  for (size_t i = 0; i < p->services.len; i++) {
    const struct core_service *s = &p->services.ptr[i];
    bool found = false;

    if (s->proto != CORE_PROTO_TCP)
      continue;
    for (size_t k = 0; k < f->listening.len && !found; k++)
      found = f->listening.ptr[k].port == s->port;
    if (!found
        && core_string_vector_printf (missing, "tcp/%" PRId64 "%s%s%s not listening", s->port,
                                      s->name ? " (" : "", s->name ? s->name : "",
                                      s->name ? ")" : "") == -1)
      return -1;
  }
  for (size_t i = 0; i < p->hardware.nics.len; i++) {
    const struct core_nic *nic = &p->hardware.nics.ptr[i];

    for (size_t k = 0; k < nic->addresses.len; k++) {
      const char *want = nic->addresses.ptr[k];
      const struct mig_fact_addr *down = NULL, *other_prefix = NULL;
      unsigned char wa[16], fa[16];
      int wfam, ffam, wprefix;
      bool ok = false;

      if (core_parse_ip_prefix (want, "address", &wfam, wa, &wprefix) == -1)
        return -1;
      /* An IPv6 address made from the NIC's MAC (SLAAC's EUI-64: ff:fe
       * in the middle of its interface identifier) follows the MAC, and
       * a VM has a MAC of its own: not configuration to check. */
      if (wfam == AF_INET6 && wa[11] == 0xff && wa[12] == 0xfe)
        continue;
      for (size_t j = 0; j < f->addresses.len && !ok; j++) {
        const struct mig_fact_addr *a = &f->addresses.ptr[j];
        if (parse_addr (a->address, &ffam, fa) == -1 || ffam != wfam
            || memcmp (fa, wa, wfam == AF_INET ? 4 : 16) != 0)
          continue;
        if (a->prefix >= 0 && a->prefix != wprefix)
          other_prefix = a;
        else if (!a->up)
          down = a;
        else
          ok = true;
      }
      if (ok)
        continue;
      int r;
      if (down)
        r = core_string_vector_printf (missing, "%s configured on %s, which is down",
                                       want, down->ifname);
      else if (other_prefix)
        r = core_string_vector_printf (missing, "%s configured as %s/%d on %s", want,
                                       other_prefix->address, other_prefix->prefix,
                                       other_prefix->ifname);
      else
        r = core_string_vector_printf (missing, "%s (%s on the server) not configured on "
                                       "an interface that is up", want, nic->name);
      if (r == -1)
        return -1;
    }
  }
  return missing->len > before ? 1 : 0;
}
