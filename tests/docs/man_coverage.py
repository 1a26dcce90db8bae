#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that hbm(1) documents every option and command the hbm command accepts, and
hbm.toml(5) every table and key the configuration parser accepts — and that neither man
page documents anything the code does not accept.

Usage: man_coverage.py --cli tools/hbm.cpp --config src/config.cpp
                       --man1 docs/man/hbm.1 --man5 docs/man/hbm.toml.5

Extraction rules. The C++ sources are read with their comments blanked out (string and
character literals kept), so commented-out code counts for nothing.

CLI (tools/hbm.cpp):
- An option is a string literal beginning with '-' that is an operand of == or != (either
  side): `arg == "--plane"`, `std::string(argv[i]) == "--help"`. Literals used otherwise
  (messages such as "--declare " + spec) are not options.
- A command is a string literal compared (== or !=) with the variable `command`:
  `command == "plan"`.
- The options the usage() text names (every --word or -x in the string literals of the
  function usage()) are cross-checked: one named there that the code never compares is an
  error (documented but not accepted); one accepted but missing from the usage is printed
  as a note only (an alias such as -h).

Configuration (src/config.cpp):
- Key variables are the names bound first in a structured binding over a table,
  `for (const auto &[key, value] : t)`, and the std::string variables made from one,
  `std::string k(key.str())`. An accepted name is a string literal compared (== or !=)
  with a key variable or with `X.str()` of one: `k == "contiguous"`, `mk == "drm_driver"`,
  `section != "heap"`, `kkey.str() != "allocators"`. These are every table and key name
  the parser takes, flat.
- Where each name belongs comes from the parser's own refusals, which list what a table
  takes: `"heap." + name + ": unknown key " + shown(k) + " (contiguous, cached, memory_end)"`
  gives heap.contiguous, heap.cached, heap.memory_end; a prefix "device." with ".match"
  gives device.match.drm_driver …; `"unknown section " + shown(section) + " (heap, …)"`
  gives the tables. The flat set of compared names must equal the names those lists hold
  (else the code contradicts itself and the check fails, naming the difference); the
  qualified names (TABLE.KEY, TABLE.match.KEY) are what hbm.toml(5) must document.

Man pages (man(7) macros):
- hbm(1): an option is documented by a .TP item under `.SH OPTIONS` whose tag line (the
  line after .TP) holds it in bold: `\\fB\\-\\-plane\\fR \\fITYPE\\fR`, `.B \\-\\-json`,
  `\\fB\\-h\\fR, \\fB\\-\\-help\\fR`. A command is documented by a .TP item under
  `.SH COMMANDS` whose tag begins with the command in bold: `\\fBplan\\fR …`.
- hbm.toml(5): a table is documented by a `.SS [TABLE.NAME]` heading; a key by a .TP item
  in that subsection whose tag begins with the key in bold: `\\fBcontiguous\\fR = …`,
  `\\fBmatch.drm_driver\\fR = …`. A new .SH or .SS ends the subsection.

Exit status 0 when code and pages agree; 1 naming each difference; 2 for bad arguments or
unreadable files. A summary line is printed either way.
"""

import argparse
import re
import sys


def strip_comments(source):
    """@source with // and /* */ comments replaced by spaces (line breaks kept)."""
    out = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if source.startswith('//', i):
            j = source.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif source.startswith('/*', i):
            j = source.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', source[i:j]))
            i = j
        elif c in '"\'':
            # A raw string R"delim( … )delim" is taken whole.
            if c == '"' and i > 0 and source[i - 1] == 'R':
                m = re.match(r'"([^(\s]*)\(', source[i:])
                if m:
                    end = source.find(')' + m.group(1) + '"', i)
                    end = n if end < 0 else end + len(m.group(1)) + 2
                    out.append(source[i:end])
                    i = end
                    continue
            j = i + 1
            while j < n and source[j] != c and source[j] != '\n':
                j += 2 if source[j] == '\\' else 1
            out.append(source[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


LITERAL = r'"((?:[^"\\\n]|\\.)*)"'


def compared_literals(code, operand):
    """String literals compared (== or !=) with an expression matching regex @operand."""
    found = set()
    for m in re.finditer(r'(?:' + operand + r')\s*[!=]=\s*' + LITERAL, code):
        found.add(m.group(m.lastindex))
    for m in re.finditer(LITERAL + r'\s*[!=]=\s*(?:' + operand + r')(?![\w.(])', code):
        found.add(m.group(1))
    return found


def function_body(code, name):
    """The text of the body of the first function called @name, or ''."""
    m = re.search(r'\b' + re.escape(name) + r'\s*\([^)]*\)\s*\{', code)
    if not m:
        return ''
    depth, i = 0, m.end() - 1
    while i < len(code):
        if code[i] == '{':
            depth += 1
        elif code[i] == '}':
            depth -= 1
            if depth == 0:
                return code[m.end():i]
        i += 1
    return code[m.end():]


def cli_accepts(source):
    code = strip_comments(source)
    options = {lit for lit in compared_literals(code, r'[\w\]\)\[.>-]+') if re.fullmatch(r'--?[a-z][a-z0-9-]*', lit)}
    commands = compared_literals(code, r'\bcommand')
    usage_text = ''.join(re.findall(LITERAL, function_body(code, 'usage')))
    in_usage = set(re.findall(r'(?<![\w-])(--?[a-z][a-z0-9-]*)', usage_text))
    return options, commands, in_usage


def config_accepts(source):
    code = strip_comments(source)
    key_vars = set(re.findall(r'for\s*\(\s*(?:const\s+)?auto\s*&{0,2}\s*\[\s*(\w+)\s*,', code))
    key_vars |= set(re.findall(r'std::string\s+(\w+)\s*\(\s*(?:' + '|'.join(map(re.escape, key_vars)) + r')\.str\(\)\s*\)',
                               code)) if key_vars else set()
    operand = r'\b(?:' + '|'.join(sorted(map(re.escape, key_vars))) + r')(?:\.str\(\))?' if key_vars else r'(?!)'
    flat = compared_literals(code, operand)

    shown = r'shown\((?:[^()]|\([^()]*\))*\)'
    qualified, listed, tables = set(), set(), set()
    message = re.compile(r'"(\w+)\."\s*\+\s*\w+\s*\+\s*"((?:\.\w+)*): unknown key "\s*\+\s*' + shown +
                         r'\s*\+\s*"\s*\(([^)"]*)\)"')
    for m in re.finditer(message, code):
        prefix = m.group(1) + m.group(2)
        for key in (k.strip() for k in m.group(3).split(',')):
            qualified.add(prefix + '.' + key)
            listed.add(key)
    for m in re.finditer(r'"unknown section "\s*\+\s*' + shown + r'\s*\+\s*"\s*\(([^)"]*)\)"', code):
        for table in (t.strip() for t in m.group(1).split(',')):
            tables.add(table)
            listed.add(table)
    # "match" is a key that holds a table: documented through its keys (match.drm_driver).
    subtables = {q.rsplit('.', 1)[0] for q in qualified}
    qualified = {q for q in qualified if q not in subtables}
    return tables, qualified, flat, listed, key_vars


def roff_text(line):
    """A roff line as text: \\- as -, font escapes and \\% \\& dropped."""
    line = re.sub(r'\\f(?:\[[^\]]*\]|\(..|.)', '', line)
    line = line.replace('\\-', '-').replace('\\%', '').replace('\\&', '').replace('\\e', '\\')
    return line


def bold_spans(tag):
    """The bold text of a .TP tag line: a .B line whole, .BR/.BI's odd arguments, and
    \\fB…\\fR (or \\fP, \\fI) spans."""
    spans = []
    m = re.match(r'\.(B|BR|BI)\s+(.*)', tag)
    if m:
        args = re.findall(r'"[^"]*"|\S+', m.group(2))
        args = [a.strip('"') for a in args]
        spans += args if m.group(1) == 'B' else args[0::2]
        return [roff_text(s) for s in spans]
    for s in re.findall(r'\\fB(.*?)(?=\\f[RPI]|$)', tag):
        spans.append(roff_text(s))
    return spans


def tp_items(text):
    """(section, subsection, tag line) of every .TP item of a man page."""
    lines = text.splitlines()
    section = subsection = None
    for i, line in enumerate(lines):
        if line.startswith('.SH'):
            section, subsection = roff_text(line[3:]).strip().strip('"'), None
        elif line.startswith('.SS'):
            subsection = roff_text(line[3:]).strip().strip('"')
        elif line.startswith('.TP') and i + 1 < len(lines):
            yield section, subsection, lines[i + 1]


def man1_documents(text):
    options, commands = set(), set()
    for section, _, tag in tp_items(text):
        spans = bold_spans(tag)
        if section == 'OPTIONS':
            for span in spans:
                options |= set(re.findall(r'(?<![\w-])(--?[a-z][a-z0-9-]*)', span))
        elif section == 'COMMANDS' and spans:
            commands.add(spans[0].split()[0])
    return options, commands


def man5_documents(text):
    tables, keys = set(), set()
    for line in text.splitlines():
        if line.startswith('.SS'):
            m = re.match(r'\[(\w+)\.', roff_text(line[3:]).strip())
            if m:
                tables.add(m.group(1))
    for _, subsection, tag in tp_items(text):
        m = re.match(r'\[(\w+)\.', subsection or '')
        if not m:
            continue
        words = (bold_spans(tag) or [''])[0].split()
        if words and re.fullmatch(r'[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*', words[0]):
            keys.add(m.group(1) + '.' + words[0])
    return tables, keys


def differences(what, accepted, documented, page):
    faults = []
    for name in sorted(accepted - documented):
        faults.append(f'{what} {name!r} is accepted by the code but not documented in {page}')
    for name in sorted(documented - accepted):
        faults.append(f'{what} {name!r} is documented in {page} but the code does not accept it')
    return faults


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cli', required=True)
    parser.add_argument('--config', required=True)
    parser.add_argument('--man1', required=True)
    parser.add_argument('--man5', required=True)
    args = parser.parse_args()
    try:
        texts = {name: open(getattr(args, name), encoding='utf-8').read()
                 for name in ('cli', 'config', 'man1', 'man5')}
    except OSError as e:
        print(f'man_coverage: {e}', file=sys.stderr)
        return 2

    faults, notes = [], []
    options, commands, in_usage = cli_accepts(texts['cli'])
    tables, keys, flat, listed, key_vars = config_accepts(texts['config'])
    if not options or not commands:
        faults.append(f'{args.cli}: found no options or no commands: the extraction rule no longer fits the code')
    if not tables or not keys:
        faults.append(f'{args.config}: found no tables or keys (key variables: {sorted(key_vars)}): '
                      'the extraction rule no longer fits the code')
    for name in sorted(in_usage - options):
        faults.append(f'option {name!r} is named in the usage text of {args.cli} but the code does not accept it')
    for name in sorted(options - in_usage):
        notes.append(f'note: option {name!r} is accepted but the usage text does not name it')
    for name in sorted(flat - listed):
        faults.append(f'{args.config} compares {name!r} as a key but no "unknown key"/"unknown section" '
                      'message lists it: cannot tell which table takes it')
    for name in sorted(listed - flat):
        faults.append(f'{args.config} lists {name!r} in an "unknown key"/"unknown section" message but never '
                      'compares it: it is not accepted')

    doc_options, doc_commands = man1_documents(texts['man1'])
    doc_tables, doc_keys = man5_documents(texts['man5'])
    faults += differences('option', options, doc_options, args.man1)
    faults += differences('command', commands, doc_commands, args.man1)
    faults += differences('table', tables, doc_tables, args.man5)
    faults += differences('key', keys, doc_keys, args.man5)

    for line in notes + faults:
        print(line)
    print(f'man-coverage: {len(options)} options, {len(commands)} commands in {args.cli}; '
          f'{len(tables)} tables, {len(keys)} keys in {args.config}; '
          f'{"OK" if not faults else f"{len(faults)} problem(s)"}')
    return 1 if faults else 0


if __name__ == '__main__':
    sys.exit(main())
