#!/usr/bin/perl
# image-colours.pl IMAGE [RRGGBB...]
#
# Prints the number of distinct colours in a PNG (8-bit grey, RGB, RGBA;
# as Chromium writes screenshots) or binary PPM (P6, as pdftoppm writes)
# image, then, for each RRGGBB given, "RRGGBB N": how many pixels have
# exactly that colour.  Only perl's own modules: the report tests need no
# image library.
use strict;
use warnings;
use Compress::Zlib qw(uncompress);

my ($file, @wanted) = @ARGV;
die "usage: $0 IMAGE [RRGGBB...]\n" unless defined $file;
open my $fh, '<:raw', $file or die "$file: $!\n";
my $data = do { local $/; <$fh> };
close $fh;

my ($width, $height, $channels, $pixels);
if (substr ($data, 0, 8) eq "\x89PNG\r\n\x1a\n") {
    my ($depth, $type, $interlace, $idat) = (0, 0, 0, '');
    my $pos = 8;
    while ($pos + 8 <= length $data) {
        my ($len, $kind) = unpack 'N a4', substr ($data, $pos, 8);
        my $body = substr ($data, $pos + 8, $len);
        if ($kind eq 'IHDR') {
            ($width, $height, $depth, $type, undef, undef, $interlace) = unpack 'N N C C C C C', $body;
        } elsif ($kind eq 'IDAT') {
            $idat .= $body;
        } elsif ($kind eq 'IEND') {
            last;
        }
        $pos += 12 + $len;
    }
    my %ch = (0 => 1, 2 => 3, 4 => 2, 6 => 4);
    die "$file: only 8-bit, non-interlaced grey, RGB or RGBA PNG is read\n"
        unless $depth == 8 && !$interlace && exists $ch{$type};
    $channels = $ch{$type};
    my $raw = uncompress ($idat);
    die "$file: bad compressed data\n" unless defined $raw;
    my $stride = $width * $channels;
    my $prev = "\0" x $stride;
    $pixels = '';
    for my $y (0 .. $height - 1) {
        my $filter = ord substr ($raw, $y * ($stride + 1), 1);
        my @cur = unpack 'C*', substr ($raw, $y * ($stride + 1) + 1, $stride);
        my @up = unpack 'C*', $prev;
        if ($filter == 1) {
            $cur[$_] = ($cur[$_] + $cur[$_ - $channels]) & 255 for $channels .. $stride - 1;
        } elsif ($filter == 2) {
            $cur[$_] = ($cur[$_] + $up[$_]) & 255 for 0 .. $stride - 1;
        } elsif ($filter == 3) {
            for my $i (0 .. $stride - 1) {
                my $left = $i >= $channels ? $cur[$i - $channels] : 0;
                $cur[$i] = ($cur[$i] + (($left + $up[$i]) >> 1)) & 255;
            }
        } elsif ($filter == 4) {
            for my $i (0 .. $stride - 1) {
                my ($a, $b) = ($i >= $channels ? $cur[$i - $channels] : 0, $up[$i]);
                my $c = $i >= $channels ? $up[$i - $channels] : 0;
                my $p = $a + $b - $c;
                my ($pa, $pb, $pc) = (abs ($p - $a), abs ($p - $b), abs ($p - $c));
                my $pred = ($pa <= $pb && $pa <= $pc) ? $a : ($pb <= $pc ? $b : $c);
                $cur[$i] = ($cur[$i] + $pred) & 255;
            }
        } elsif ($filter != 0) {
            die "$file: bad filter $filter on row $y\n";
        }
        $prev = pack 'C*', @cur;
        $pixels .= $prev;
    }
} elsif ($data =~ /\AP6\s+(\d+)\s+(\d+)\s+255\s/) {
    ($width, $height, $channels) = ($1, $2, 3);
    $pixels = substr ($data, $+[0], $width * $height * 3);
} else {
    die "$file: neither PNG nor binary PPM\n";
}

# Colours as RRGGBB (alpha ignored, grey widened).
my %count;
my $n = $width * $height;
for my $i (0 .. $n - 1) {
    my $px = substr ($pixels, $i * $channels, $channels);
    my $rgb = $channels >= 3 ? substr ($px, 0, 3) : substr ($px, 0, 1) x 3;
    $count{$rgb}++;
}
print scalar (keys %count), "\n";
for my $w (@wanted) {
    printf "%s %d\n", $w, $count{pack 'H6', lc $w} // 0;
}
