#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compiles and links every C++ and C code block of a Markdown file (README.md) against hbm.

Extraction rule:
- A block is the text between a line that is exactly ```cpp (or ```c++) or ```c and the
  next line that is exactly ```. Blocks with any other tag (sh, none …) are not code.
- Each block is compiled on its own, in the order it appears; blocks do not see each other.
- A block that defines `int main` is a whole program and is compiled as it is.
- Any other block is a fragment of a function. Its `#include` lines are moved to the top of
  the file; the rest becomes the body of `void snippet(int socket) { … }` (so `socket`, a
  connected Unix socket, may be used), preceded by:
    C++ (-std=c++20): #include <hbm/hbm.hpp>, <drm_fourcc.h>, <cstdio>, <cstring>, <string>
    C   (-std=c11):   #include <hbm/hbm.h>, <drm_fourcc.h>, <stdio.h>, <string.h>
  (drm_fourcc.h because hbm's formats are DRM fourccs, DRM_FORMAT_*), and followed by an
  empty main() so that the result links.
- Every block is linked with libhbm (and libhbm-wayland, libhbm-egl and their dependencies when
  built: --lib and --link), so what it calls must also be exported.

Usage: readme_snippets.py README.md --cxx=CMD… --cc=CMD… --include=DIR… --lib=libhbm.so…
       [--link=-lwayland-client…]
The exit status is 1 if any block fails to compile or link; the compiler's messages name
the block by the line of README.md it starts on.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

LANGUAGES = {
    'cpp': 'c++',
    'c++': 'c++',
    'c': 'c',
}

PREAMBLE = {
    'c++': ['#include <hbm/hbm.hpp>', '#include <drm_fourcc.h>', '#include <cstdio>', '#include <cstring>',
        '#include <string>'],
    'c': ['#include <hbm/hbm.h>', '#include <drm_fourcc.h>', '#include <stdio.h>', '#include <string.h>'],
}

STANDARD = {'c++': '-std=c++20', 'c': '-std=c11'}
# What would be an error in C++ is one in C too.
ERRORS = {'c++': [], 'c': ['-Werror=implicit-function-declaration', '-Werror=incompatible-pointer-types']}
SUFFIX = {'c++': '.cpp', 'c': '.c'}


def blocks(path):
    """Yields (language, first line number of the code, lines) for every C/C++ block."""
    language = None
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if language is None:
                m = re.fullmatch(r'```\s*(\S+)\s*', line)
                if m and m.group(1).lower() in LANGUAGES:
                    language, start, code = LANGUAGES[m.group(1).lower()], number + 1, []
            elif line.strip() == '```':
                yield language, start, code
                language = None
            else:
                code.append(line)
    if language is not None:
        raise SystemExit(f'{path}:{start - 1}: code block is never closed')


def source(readme, language, start, code):
    """The translation unit for one block; #line keeps the compiler's messages in README.md."""
    def line(number):
        return f'#line {max(number, 1)} "{readme}"'

    if any(re.search(r'\bint\s+main\s*\(', text) for text in code):
        return '\n'.join([line(start)] + code) + '\n'
    # Blank lines keep every line, hoisted include or body, at its line number in README.md.
    hoisted = [text if text.lstrip().startswith('#include') else '' for text in code]
    body = ['' if text.lstrip().startswith('#include') else text for text in code]
    return '\n'.join(PREAMBLE[language] + [line(start)] + hoisted +
                      [line(start - 2), 'void snippet(int socket)', '{'] + body +
                      ['}', 'int main() { return 0; }']) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('readme')
    parser.add_argument('--cxx', action='append', required=True, help='C++ compiler command, one word per option')
    parser.add_argument('--cc', action='append', required=True, help='C compiler command, one word per option')
    parser.add_argument('--include', action='append', default=[], help='include directory')
    parser.add_argument('--lib', action='append', required=True, help='an hbm shared library to link')
    parser.add_argument('--link', action='append', default=[], help='a further linker argument')
    args = parser.parse_args()
    args.readme = os.path.normpath(args.readme)

    compilers = {'c++': args.cxx, 'c': args.cc}
    libs = [os.path.abspath(lib) for lib in args.lib]
    failed = 0
    count = 0
    with tempfile.TemporaryDirectory(prefix='hbm-readme-') as tmp:
        for language, start, code in blocks(args.readme):
            count += 1
            name = os.path.join(tmp, f'snippet_line{start}{SUFFIX[language]}')
            with open(name, 'w', encoding='utf-8') as f:
                f.write(source(args.readme, language, start, code))
            command = compilers[language] + [STANDARD[language], '-Wall', '-Wno-unused'] + ERRORS[language]
            command += [f'-I{d}' for d in args.include]
            command += [name] + libs + [f'-Wl,-rpath,{os.path.dirname(lib)}' for lib in libs] + args.link
            command += ['-o', name + '.out']
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                failed += 1
                print(f'FAIL: {args.readme}:{start}: {language} block does not build:')
                print(result.stdout + result.stderr)
            else:
                print(f'ok: {args.readme}:{start}: {language} block')
    if count == 0:
        print(f'{args.readme} has no C or C++ blocks')
    print(f'{count - failed} of {count} blocks build')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
