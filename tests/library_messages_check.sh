#!/usr/bin/env bash
# The library speaks in library terms (issue #15): no string literal in
# src/core, src/connectors, src/query or src/engine names a CLI flag
# (`--mode`, `-p VALUE`) or a CLI command (`polydb ls`, `polydb copy`). An
# error that suggests a remedy the CLI spells as a flag sets a polydb::Hint
# instead, and src/cli adds the flag (flag_hint() in src/cli/error_text.cpp).
#
#   tests/library_messages_check.sh [SOURCE_DIR]
# Prints each offending line as FILE:LINE: TEXT and exits 1 when there is one
# that is not a known exception below.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

# Known exceptions, as FILE:TEXT (TEXT a fixed substring of the line), each
# with the reason it stays for now.
exceptions=()

# String literals only (comments may name the CLI: they explain callers),
# adjacent literals joined as the compiler joins them, so that a flag split
# over two lines is found. A flag is --word or the word -p (other one-letter
# flags are too common in other tools' commands to tell apart); a command is
# `polydb` followed by one of the CLI's subcommands.
found=$(find src/core src/connectors src/query src/engine -name '*.cpp' -o -name '*.hpp' |
  sort | xargs perl -0777 -ne '
    my $text = $_;
    $text =~ s{^[ \t]*//[^\n]*}{}mg;  # whole-line comments, lines kept
    while ($text =~ /("(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*)/g) {
      my ($lit, $at) = ($1, $-[1]);
      (my $s = $lit) =~ s/"\s*"//g;
      next unless $s =~ /(?<![\w-])--[a-z]/ || $s =~ /(?<![\w-])-p\b/ ||
                  $s =~ /\bpolydb (?:ls|describe|sql|exec|copy|ping|query|version)\b/;
      my $line = 1 + (substr($text, 0, $at) =~ tr/\n//);
      print "$ARGV:$line: $s\n";
    }' || true)

status=0
while IFS= read -r hit; do
  [[ -n $hit ]] || continue
  file=${hit%%:*}
  text=${hit#*: }
  known=0
  for e in "${exceptions[@]}"; do
    [[ $file == "${e%%:*}" && $text == *"${e#*:}"* ]] && known=1
  done
  if ((known)); then
    echo "known exception: $hit"
  else
    echo "names a CLI flag or command: $hit" >&2
    status=1
  fi
done <<<"$found"

if ((status)); then
  echo "library messages say what to do in library terms; set a polydb::Hint for the CLI" \
    "to name its flag (include/polydb/error.hpp, src/cli/error_text.cpp)" >&2
fi
exit $status
