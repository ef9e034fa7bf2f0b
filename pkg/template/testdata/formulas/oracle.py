#!/usr/bin/env python3
"""Reference renderer for the formula corpus.

Renders every case in cases.yaml with the real Jinja2 (3.x) configured the
way Salt's render_jinja_tmpl configures it, and writes expected/<case>.out.
The Go test (TestFormulaCorpus) compares pkg/template's output with these
files, so "renders correctly" means "renders what Salt's Jinja renders".

What is emulated here rather than imported from Salt (Salt is not
installable on the build machines): the SaltCacheLoader path rules, the
serializer tags (import_yaml, load_yaml, ...), the Salt filters the corpus
uses, and the handful of execution functions the templates call. Dicts that
reach templates from the context or from salt functions are key-sorted,
because Halite passes Go maps, which have no order.

Needs python3 with jinja2 and PyYAML:  python3 oracle.py
"""

import base64
import copy
import fnmatch
import hashlib
import json
import os
import re
import shlex
import sys
import traceback

import jinja2
import jinja2.ext
import jinja2.nodes as nodes
import jinja2.sandbox
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "root")


def sort_keys(v):
    if isinstance(v, dict):
        return {k: sort_keys(v[k]) for k in sorted(v, key=str)}
    if isinstance(v, list):
        return [sort_keys(x) for x in v]
    return v


def traverse(data, key, default=None, delimiter=":"):
    ptr = data
    for part in key.split(delimiter):
        if isinstance(ptr, list):
            try:
                idx = int(part)
            except ValueError:
                for d in (x for x in ptr if isinstance(x, dict)):
                    if part in d:
                        ptr = d[part]
                        break
                else:
                    return default
                continue
            try:
                ptr = ptr[idx]
            except IndexError:
                return default
        elif isinstance(ptr, dict):
            if part not in ptr:
                return default
            ptr = ptr[part]
        else:
            return default
    return ptr


def deep_update(dest, upd):
    for k, v in upd.items():
        if isinstance(v, dict) and isinstance(dest.get(k), dict):
            deep_update(dest[k], v)
        else:
            dest[k] = v
    return dest


def make_funcs(ctx):
    grains, pillar, opts = ctx["grains"], ctx["pillar"], ctx["opts"]

    def filter_by(lookup_dict, grain="os_family", merge=None, default="default", base=None):
        val = traverse(grains, grain, [])
        ret = None
        for each in val if isinstance(val, list) else [val]:
            each = each if isinstance(each, str) else str(each)
            if each in lookup_dict:
                ret = lookup_dict[each]
                break
            for key in sorted(lookup_dict):
                if fnmatch.fnmatchcase(each, str(key)):
                    ret = lookup_dict[key]
                    break
            if ret is not None:
                break
        if ret is None:
            ret = lookup_dict.get(default)
        ret = copy.deepcopy(ret)
        if base and base in lookup_dict:
            if ret is None:
                ret = copy.deepcopy(lookup_dict[base])
            elif isinstance(lookup_dict[base], dict):
                ret = deep_update(copy.deepcopy(lookup_dict[base]), ret)
        if merge:
            if ret is None:
                ret = merge
            else:
                deep_update(ret, copy.deepcopy(merge))
        return ret

    def defaults_merge(dest, src, merge_lists=False, in_place=True):
        merged = dest if in_place else copy.deepcopy(dest)
        return deep_update(merged, src)

    def slsutil_merge(a, b, strategy="smart", merge_lists=False):
        return deep_update(copy.deepcopy(a), b)

    def config_get(key, default="", delimiter=":"):
        for src in (opts, pillar, grains):
            v = traverse(src, key, None, delimiter)
            if v is not None:
                return v
        return default

    funcs = {
        "grains.get": lambda key, default="", delimiter=":": traverse(grains, key, default, delimiter),
        "pillar.get": lambda key, default="", delimiter=":", merge=False: traverse(pillar, key, default, delimiter),
        "config.get": config_get,
        "grains.filter_by": filter_by,
        "defaults.merge": defaults_merge,
        "slsutil.merge": slsutil_merge,
        "cmd.run": lambda cmd, **kw: ctx.get("cmd_outputs", {}).get(cmd, ""),
        "test.ping": lambda: True,
        "network.ip_addrs": lambda **kw: list(ctx.get("ip_addrs", [])),
        "file.file_exists": lambda path: path in ctx.get("files", []),
    }
    # Halite hands results back as Go maps: key-sorted.
    return {name: (lambda f: lambda *a, **k: sort_keys(f(*a, **k)))(f) for name, f in funcs.items()}


class SaltModule:
    def __init__(self, salt, mod):
        self._salt, self._mod = salt, mod

    def __getattr__(self, name):
        return self._salt[self._mod + "." + name]


class Salt(dict):
    """salt['mod.fun'] and salt.mod.fun, as Salt's loader allows."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return SaltModule(self, name)


class Loader(jinja2.BaseLoader):
    """Salt's SaltCacheLoader path rules over a local file root."""

    def get_source(self, environment, template):
        name = template
        relative = template.split("/", 1)[0] in ("..", ".")
        if relative:
            name = os.path.normpath("/".join((environment.globals["tpldir"], template)))
            if name.split("/", 1)[0] == "..":
                raise jinja2.TemplateNotFound(template)
        elif ".." in template.split("/"):
            raise jinja2.TemplateNotFound(template)
        tpldir = os.path.dirname(name)
        tplfile = name
        if relative:
            tpldir = environment.globals.get("tpldir", tpldir)
            tplfile = template
        environment.globals.update({"tplfile": tplfile, "tpldir": tpldir or "."})
        path = os.path.join(ROOT, name)
        if not os.path.isfile(path):
            raise jinja2.TemplateNotFound(template)
        with open(path, encoding="utf-8") as f:
            return f.read(), path, lambda: False


def dump_yaml(value, flow_style=True):
    txt = yaml.safe_dump(value, default_flow_style=flow_style, allow_unicode=True).strip()
    if txt.endswith("\n..."):
        txt = txt[:-4]
    return txt


def load_yaml(value):
    return yaml.safe_load(str(value))


def load_json(value):
    return json.loads(str(value))


def yaml_dquote(text):
    out = []
    emitter = yaml.emitter.Emitter(_Sink(out), width=sys.maxsize)
    emitter.write_double_quoted(str(text))
    return "".join(out)


class _Sink:
    def __init__(self, out):
        self.out = out

    def write(self, s):
        self.out.append(s)


def yaml_encode(data):
    node = yaml.representer.SafeRepresenter().represent_data(data)
    if node.tag.endswith(":str"):
        return yaml_dquote(node.value)
    return node.value


def regex_groups(anchored):
    def f(txt, rgx, ignorecase=False, multiline=False):
        flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
        m = (re.match if anchored else re.search)(rgx, txt, flags)
        return m.groups() if m else None
    return f


def unique(values):
    out = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


SALT_FILTERS = {
    "yaml": dump_yaml,
    "json": lambda v, sort_keys=True, indent=None: json.dumps(v, sort_keys=sort_keys, indent=indent).strip(),
    "python": lambda v: repr(v),
    "load_yaml": load_yaml,
    "load_json": load_json,
    "load_text": lambda v: str(v),
    "yaml_dquote": yaml_dquote,
    "yaml_squote": lambda t: "'" + str(t).replace("'", "''") + "'",
    "yaml_encode": yaml_encode,
    "traverse": traverse,
    "sequence": lambda d: d if isinstance(d, (list, tuple, set, dict)) else [d],
    "to_bool": lambda v: v.lower() in ("yes", "1", "true") if isinstance(v, str) else bool(v),
    "quote": shlex.quote,
    "regex_replace": lambda txt, rgx, val, ignorecase=False, multiline=False: re.compile(
        rgx, (re.I if ignorecase else 0) | (re.M if multiline else 0)).sub(val, txt),
    "regex_search": regex_groups(False),
    "regex_match": regex_groups(True),
    "regex_escape": re.escape,
    "unique": unique,
    "min": min,
    "max": max,
    "union": lambda a, b: unique(a + b),
    "intersect": lambda a, b: unique([x for x in a if x in b]),
    "difference": lambda a, b: unique([x for x in a if x not in b]),
    "md5": lambda s: hashlib.md5(str(s).encode()).hexdigest(),
    "sha256": lambda s: hashlib.sha256(str(s).encode()).hexdigest(),
    "base64_encode": lambda s: base64.b64encode(str(s).encode()).decode(),
    "base64_decode": lambda s: base64.b64decode(str(s)).decode(),
    "skip": lambda v: "",
}


class SerializerTags(jinja2.ext.Extension):
    """import_yaml/json/text and load_yaml/json/text, as Salt defines them:
    import_* imports the file as a template and parses its output; load_*
    renders the block and parses that."""

    tags = {"import_yaml", "import_json", "import_text", "load_yaml", "load_json", "load_text"}

    def parse(self, parser):
        tag = parser.stream.current.value
        kind = tag.split("_", 1)[1]
        if tag.startswith("import_"):
            imp = parser.parse_import()
            lineno = imp.lineno
            return [imp, nodes.Assign(
                nodes.Name(imp.target, "store").set_lineno(lineno),
                nodes.Filter(nodes.Name(imp.target, "load").set_lineno(lineno),
                             "load_" + kind, [], [], None, None).set_lineno(lineno),
            ).set_lineno(lineno)]
        lineno = next(parser.stream).lineno
        parser.stream.expect("name:as")
        target = parser.parse_assign_target()
        macro_name = "_load_" + parser.free_identifier().name
        body = parser.parse_statements(("name:endload",), drop_needle=True)
        return [
            nodes.Macro(macro_name, [], [], body).set_lineno(lineno),
            nodes.Assign(target, nodes.Filter(
                nodes.Call(nodes.Name(macro_name, "load").set_lineno(lineno), [], [], None, None).set_lineno(lineno),
                "load_" + kind, [], [], None, None).set_lineno(lineno)).set_lineno(lineno),
        ]


def render(case):
    with open(os.path.join(HERE, "contexts", case["context"] + ".yaml"), encoding="utf-8") as f:
        ctx = yaml.safe_load(f)
    template = case["template"]
    env = jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        loader=Loader(),
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols", SerializerTags],
    )
    env.filters.update(SALT_FILTERS)
    env.tests["match"] = lambda txt, rgx, ignorecase=False, multiline=False: bool(
        re.match(rgx, txt, (re.I if ignorecase else 0) | (re.M if multiline else 0)))
    env.tests["list"] = lambda v: isinstance(v, list)
    env.globals["raise"] = _raise
    tpldir = os.path.dirname(template)
    context = {
        "grains": sort_keys(ctx["grains"]),
        "pillar": sort_keys(ctx["pillar"]),
        "opts": sort_keys(ctx["opts"]),
        "saltenv": "base",
        "sls": case.get("sls", ""),
        "tplfile": template,
        "tpldir": tpldir or ".",
        "salt": Salt(make_funcs({**ctx, "grains": sort_keys(ctx["grains"]),
                                 "pillar": sort_keys(ctx["pillar"]), "opts": sort_keys(ctx["opts"])})),
    }
    if case.get("sls"):
        context["slspath"] = tpldir
    env.globals.update(context)
    with open(os.path.join(ROOT, template), encoding="utf-8") as f:
        src = f.read()
    out = env.from_string(src).render(**context)
    if src.endswith("\n"):
        out += "\n"
    return out


def _raise(msg):
    raise jinja2.TemplateRuntimeError(msg)


def error_location(exc, template):
    """file:line of the template code that failed, as Jinja reports it."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
        name = exc.filename or template
        return "%s:%d" % (os.path.relpath(name, ROOT) if os.path.isabs(name) else name, exc.lineno)
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            where = "%s:%d" % (template, frame.lineno)
        elif frame.filename.startswith(ROOT + os.sep):
            where = "%s:%d" % (os.path.relpath(frame.filename, ROOT), frame.lineno)
    return where or "%s:?" % template


def main():
    with open(os.path.join(HERE, "cases.yaml"), encoding="utf-8") as f:
        cases = yaml.safe_load(f)
    os.makedirs(os.path.join(HERE, "expected"), exist_ok=True)
    failed = 0
    for case in cases:
        try:
            out = render(case)
        except Exception as exc:
            if case.get("fails"):
                # Keep Jinja's verdict; the Go test checks that pkg/template
                # fails too, with a positioned error.
                where = error_location(exc, case["template"])
                with open(os.path.join(HERE, "expected", case["name"] + ".err"), "w", encoding="utf-8") as f:
                    f.write("%s\n%s: %s\n" % (where, type(exc).__name__, exc))
                print("ok   %s (fails: %s)" % (case["name"], exc))
                continue
            print("FAIL %s: %s: %s" % (case["name"], type(exc).__name__, exc))
            failed += 1
            continue
        if case.get("fails"):
            print("FAIL %s: rendered but should fail" % case["name"])
            failed += 1
            continue
        with open(os.path.join(HERE, "expected", case["name"] + ".out"), "w", encoding="utf-8") as f:
            f.write(out)
        print("ok   %s" % case["name"])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
