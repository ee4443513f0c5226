#!/usr/bin/perl
# perl_bench.pl - the reference bounce parsers, timed the way parse_bench
# times ours: every message read into memory first, one untimed warm-up
# pass, then whole passes until at least SECONDS of wall-clock time.
#
# Usage: perl_bench.pl sisimai|bounceparser SECONDS DIR|FILE...
#
#   sisimai       Sisimai (libsisimai-perl): Sisimai::Message->new(data => $text)
#                 then Sisimai::Data->make(data => $message), which is what
#                 Sisimai->make($path) does for each message once it has
#                 read it from the mailbox (so no file I/O is timed).
#   bounceparser  Mail::DeliveryStatus::BounceParser->new($text) and its
#                 reports (libmail-deliverystatus-bounceparser-perl).
#
# Prints one line "PARSE phase=NAME key=value ..." like parse_bench.
use strict;
use warnings;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC CLOCK_PROCESS_CPUTIME_ID);

my ($which, $seconds, @paths) = @ARGV;
die "usage: perl_bench.pl sisimai|bounceparser SECONDS DIR|FILE...\n"
    unless defined $which && defined $seconds && @paths;

my @files;
for my $p (@paths) {
    if (-d $p) {
        opendir(my $dh, $p) or die "$p: $!\n";
        push @files, map { "$p/$_" } sort grep { !/^\./ && -f "$p/$_" } readdir $dh;
        closedir $dh;
    } else {
        push @files, $p;
    }
}
my (@texts, $bytes);
for my $f (@files) {
    open(my $fh, '<:raw', $f) or die "$f: $!\n";
    local $/;
    my $t = <$fh>;
    close $fh;
    push @texts, [$f, $t];
    $bytes += length $t;
}

my $parse;
my $version;
if ($which eq 'sisimai') {
    require Sisimai;
    require Sisimai::Message;
    require Sisimai::Data;
    $version = Sisimai->version;
    $parse = sub {
        my ($path, $text) = @_;
        my $mesg = Sisimai::Message->new(data => $text) or return 0;
        my $data = Sisimai::Data->make(data => $mesg, origin => $path) or return 0;
        return scalar @$data;
    };
} elsif ($which eq 'bounceparser') {
    require Mail::DeliveryStatus::BounceParser;
    $version = $Mail::DeliveryStatus::BounceParser::VERSION;
    $parse = sub {
        my ($path, $text) = @_;
        my $b = eval { Mail::DeliveryStatus::BounceParser->new($text) } or return 0;
        return $b->is_bounce ? scalar($b->reports) : 0;
    };
} else {
    die "perl_bench.pl: unknown parser '$which'\n";
}

# Both libraries warn about odd input; that is not what is measured.
local $SIG{__WARN__} = sub { };

sub pass {
    my $results = 0;
    $results += $parse->(@$_) for @texts;
    return $results;
}

my $results = pass();    # warm-up: loads every module and fills caches
my ($w0, $c0) = (clock_gettime(CLOCK_MONOTONIC), clock_gettime(CLOCK_PROCESS_CPUTIME_ID));
my $passes = 0;
do {
    pass();
    $passes++;
} while (clock_gettime(CLOCK_MONOTONIC) - $w0 < $seconds);
my $wall = clock_gettime(CLOCK_MONOTONIC) - $w0;
my $cpu  = clock_gettime(CLOCK_PROCESS_CPUTIME_ID) - $c0;
my $msgs = @texts * $passes;

printf "PARSE phase=%s version=%s messages=%d bytes=%d results=%d passes=%d wall_s=%.4f "
    . "cpu_s=%.4f msg_per_s=%.1f mb_per_s=%.3f us_per_msg=%.3f\n",
    $which, $version, scalar @texts, $bytes, $results, $passes, $wall, $cpu,
    $msgs / $wall, $bytes * $passes / 1e6 / $wall, $wall * 1e6 / $msgs;
