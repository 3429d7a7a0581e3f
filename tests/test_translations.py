"""Every Spanish text of the pages and their scripts has its English, and the compiled catalog is current.

When a test here fails it lists exactly what to add:
- page texts (_() in soporte/**.py and soporte/templates): append each listed msgid with its
  msgstr to soporte/translations/en/LC_MESSAGES/messages.po (or `pybabel extract -F babel.cfg
  -o messages.pot . && pybabel update -i messages.pot -d soporte/translations`), then compile:
  `.venv/bin/pybabel compile -d soporte/translations` (the .mo is committed);
- script texts (t("...") in soporte/static/js): add "Spanish": "English" to soporte/static/i18n/en.json.
"""
import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "soporte"
PO = PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
SCRIPTS = PACKAGE / "static" / "js"
SCRIPT_CATALOG = PACKAGE / "static" / "i18n" / "en.json"
# t("...") or t('...'), not part of a longer name (set(, emit(, .t()
SCRIPT_TEXT = re.compile(r"""(?<![\w$.])t\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
SCRIPT_PLACEHOLDER = re.compile(r"\{(\w+)\}")
PAGE_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def page_texts():
    """msgid -> where, for every _() in the package and its templates, as babel.cfg says."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def script_texts():
    """text -> where, for every t("...") literal in the page scripts (i18n.js defines t)."""
    found = {}
    for path in sorted(SCRIPTS.glob("*.js")):
        if path.name == "i18n.js":
            continue
        source = path.read_text(encoding="utf-8")
        for match in SCRIPT_TEXT.finditer(source):
            text = json.loads('"' + (match.group(1) if match.group(1) is not None else match.group(2)) + '"')
            found.setdefault(text, f"{path.relative_to(ROOT)}:{source.count(chr(10), 0, match.start()) + 1}")
    return found


def english_pages():
    with open(PO, "rb") as po:
        catalog = read_po(po)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def test_the_extractors_find_the_texts():
    """A guard for the guards: the extraction sees texts we know are there."""
    assert "Contraseña" in page_texts()
    assert "La contraseña debe tener al menos %(n)s caracteres" in page_texts()  # in auth.py
    assert {"Enviado", "Conversación con {name}", "hace {n} min"} <= set(script_texts())


def test_every_page_text_has_its_english():
    english = english_pages()
    missing = {msgid: where for msgid, where in page_texts().items() if msgid not in english}
    assert not missing, (f"{len(missing)} page texts have no English in {PO.relative_to(ROOT)} "
                         "(see this module's docstring):\n"
                         + "\n".join(f"  {msgid!r}  ({where})" for msgid, where in sorted(missing.items())))


def test_every_script_text_has_its_english():
    with open(SCRIPT_CATALOG, encoding="utf-8") as catalog:
        english = json.load(catalog)
    missing = {text: where for text, where in script_texts().items() if not english.get(text)}
    assert not missing, (f"{len(missing)} script texts have no English in {SCRIPT_CATALOG.relative_to(ROOT)}:\n"
                         + "\n".join(f"  {json.dumps(text, ensure_ascii=False)}: \"...\",  ({where})"
                                     for text, where in sorted(missing.items())))


def test_translations_keep_their_placeholders():
    """An English text fills the same {name} / %(name)s slots as its Spanish one."""
    with open(SCRIPT_CATALOG, encoding="utf-8") as catalog:
        scripts = json.load(catalog)
    wrong = [(es, en) for es, en in scripts.items()
             if set(SCRIPT_PLACEHOLDER.findall(es)) != set(SCRIPT_PLACEHOLDER.findall(en))]
    wrong += [(es, en) for es, en in english_pages().items()
              if set(PAGE_PLACEHOLDER.findall(es)) != set(PAGE_PLACEHOLDER.findall(en))]
    assert not wrong, "placeholders differ:\n" + "\n".join(f"  {es!r} -> {en!r}" for es, en in wrong)


def test_the_compiled_catalog_is_current():
    """messages.mo (committed, so a fresh clone and `pip install -e .` need no build step) matches messages.po."""
    with open(MO, "rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert compiled == english_pages(), (
        "soporte/translations/en/LC_MESSAGES/messages.mo is out of date: "
        "run `.venv/bin/pybabel compile -d soporte/translations` and commit it")


# text between tags or in these attributes, written as-is instead of through _()
TEMPLATE_TEXT_ATTRIBUTES = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"{]*[A-Za-zÀ-ÿ][^"{]*)"')
NOT_WORDS = {"ES", "EN", "UTC", "Español", "English", "CSV", "JSON"}  # language and format names


def test_templates_have_no_unmarked_text():
    """Text in a template goes through _(): a heuristic that strips markup and looks for words left."""
    unmarked = []
    for path in sorted((PACKAGE / "templates").rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for value in TEMPLATE_TEXT_ATTRIBUTES.findall(source):
            if value not in NOT_WORDS:
                unmarked.append((path.name, value))
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
        text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]*>", " ", text, flags=re.S)
        for word in re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’]+", text):
            if word not in NOT_WORDS:
                unmarked.append((path.name, word))
    assert not unmarked, "texts not marked with _():\n" + "\n".join(f"  {name}: {word}" for name, word in unmarked)
