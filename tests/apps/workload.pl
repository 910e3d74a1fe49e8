#!/usr/bin/perl
# The perl test's workload (tests/apps/perl.sh): Perl's own libraries over
# its own sources, then hashes, regular expressions and sorts over what
# they produced. Everything printed depends on every string and structure
# being intact; nothing depends on timing or addresses.
use strict;
use warnings;
use Digest::SHA ();
use Pod::Text;
use Storable qw(dclone freeze thaw);
use JSON::PP;
use Data::Dumper;
use List::Util qw(sum max min reduce shuffle);

$Data::Dumper::Sortkeys = 1;
$Data::Dumper::Indent   = 1;

# The documentation has characters beyond Latin-1: digest their UTF-8.
sub sha256_hex {
	my $s = shift;
	utf8::encode($s);
	return Digest::SHA::sha256_hex($s);
}

# 1. Pod::Text renders the documentation of every core module (Pod::Simple
# parses each file into events, then text): a real program of many small
# strings.
my @files = sort @ARGV;
my ( $text, $bytes ) = ( '', 0 );
for my $file (@files) {
	my $out = '';
	my $pod = Pod::Text->new( width => 76, sentence => 0 );
	$pod->output_string( \$out );
	$pod->parse_file($file);
	$bytes += length $out;
	$text .= $out;
}
printf "pod: %d files, %d bytes, %s\n", scalar @files, $bytes, sha256_hex($text);

# 2. A hash of every word, with counts and the files' positions; sorted by
# count, then word.
my %freq;
my %first;
my $pos = 0;
while ( $text =~ /([A-Za-z_][A-Za-z0-9_:]*)/g ) {
	my $w = lc $1;
	$freq{$w}++;
	$first{$w} //= $pos;
	$pos++;
}
my @top = ( sort { $freq{$b} <=> $freq{$a} || $a cmp $b } keys %freq )[ 0 .. 19 ];
printf "words: %d, distinct %d\n", $pos, scalar keys %freq;
print "top: ", join( ' ', map { "$_=$freq{$_}" } @top ), "\n";

# 3. Regular expressions: substitutions with captures and code, a
# tokenizer, case folding, a split and a join.
( my $t = $text ) =~ s/(\w+)(\s+)(\w+)/$3$2$1/g;
$t =~ s/([aeiou])/uc $1/ge;
my @tokens = split /(?<=[.;:])\s+/, $t;
my $nums = () = $text =~ /\b\d+(?:\.\d+)?\b/g;
printf "regex: %s, %d sentences, %d numbers\n", sha256_hex($t), scalar @tokens, $nums;
my %by_len;
push @{ $by_len{ length $_ } }, $_ for keys %freq;
print "lengths: ", join( ' ', map { "$_:" . scalar @{ $by_len{$_} } } sort { $a <=> $b } keys %by_len ), "\n";

# 4. Records: 100,000 of them, sorted on three keys (a Schwartzian
# transform, and a sort with a multi-key block), grouped, deep-copied,
# serialised and read back.
my $x = 12345;
my @rec;
for my $i ( 0 .. 99_999 ) {
	$x = ( $x * 16807 ) % 2147483647;
	push @rec, { id => $i, grp => $x % 97, name => join( '', map { chr( 97 + ( $x >> $_ ) % 26 ) } 0 .. $x % 7 + 2 ), val => $x % 100_003 };
}
my @sorted = map { $_->[1] } sort { $a->[0] cmp $b->[0] || $b->[1]{val} <=> $a->[1]{val} || $a->[1]{id} <=> $b->[1]{id} } map { [ $_->{name}, $_ ] } @rec;
printf "sort: %s\n", sha256_hex( join ',', map { $_->{id} } @sorted );
my @by_grp = sort { $a->{grp} <=> $b->{grp} or $a->{val} <=> $b->{val} or $a->{id} <=> $b->{id} } @rec;
printf "sort2: %s\n", sha256_hex( join ',', map { $_->{id} } @by_grp );
my %groups;
push @{ $groups{ $_->{grp} } }, $_ for @rec;
my %summary = map { $_ => { n => scalar @{ $groups{$_} }, sum => sum( map { $_->{val} } @{ $groups{$_} } ), max => max( map { $_->{val} } @{ $groups{$_} } ) } } keys %groups;
printf "groups: %s\n", sha256_hex( Dumper( \%summary ) );
my $copy = dclone( \%groups );
$_->{val}++ for map { @$_ } values %$copy;
my $thawed = thaw( freeze($copy) );
printf "storable: %d %d\n", sum( map { $_->{val} } map { @$_ } values %$thawed ), sum( map { $_->{val} } @rec );
my $json = JSON::PP->new->canonical;
my $doc  = $json->encode( { summary => \%summary, first => [ @rec[ 0 .. 999 ] ] } );
my $back = $json->decode($doc);
printf "json: %d bytes, %s, %d\n", length $doc, sha256_hex($doc), scalar @{ $back->{first} };

# 5. Strings built and torn down: repetition, sprintf, pack and unpack,
# substr as an lvalue, reverse, a closure per record.
my @closures = map { my $r = $_; sub { $r->{name} x ( 1 + $r->{grp} % 5 ) } } @rec[ 0 .. 29_999 ];
my $joined = join '|', map { $_->() } @closures;
my $packed = pack '(N n/a*)*', map { ( $_->{val}, $_->{name} ) } @rec[ 0 .. 29_999 ];
my @unpacked = unpack '(N n/a*)*', $packed;
substr( $joined, $_ * 3, 2 ) = sprintf '%02x', $_ % 256 for 0 .. 9999;
printf "strings: %d %s %d %s\n", length $joined, sha256_hex( scalar reverse $joined ), scalar @unpacked, sha256_hex($packed);

# 6. The same hash, deleted from and refilled in turns.
my %h;
for my $round ( 1 .. 6 ) {
	$h{"k$_"} = "v$_" x ( 1 + $_ % 13 ) for ( $round * 10_000 ) .. ( $round * 10_000 + 49_999 );
	delete $h{"k$_"} for grep { $_ % $round == 0 } ( $round * 10_000 ) .. ( $round * 10_000 + 29_999 );
}
printf "churn: %d keys, %d bytes\n", scalar keys %h, sum( map { length } values %h );
