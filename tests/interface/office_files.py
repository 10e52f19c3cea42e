"""A tiny .xlsx writer for tests, shaped like what business systems write.

Not a dependency of chujing: the readers are tested on files made the way Excel, Apache POI
(EasyExcel) and report exporters make them, with no third-party writer. Rows stream into the
zip one at a time, so a huge sheet costs no memory to write.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_EPOCH = dt.date(1899, 12, 30)


def col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _cell(ref: str, value, strings: dict | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        serial = (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
        return f'<c r="{ref}" s="2"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="1"><v>{(value - _EPOCH).days}</v></c>'
    if isinstance(value, int | float):
        # Excel keeps 15 significant digits of a number: what it writes for a long ID typed in.
        text = repr(value) if isinstance(value, float) else str(value)
        if isinstance(value, int) and len(str(abs(value))) > 15:
            text = f"{float(f'{value:.14e}')!r}".upper()
        return f'<c r="{ref}"><v>{text}</v></c>'
    text = escape(str(value))
    if strings is None:
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    index = strings.setdefault(text, len(strings))
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


def write_xlsx(path, sheets: dict[str, Iterable[list]], merges: dict[str, list[str]] | None = None,
               shared_strings: bool = True) -> None:
    """``sheets``: name → rows (lists of str, int, float, date, datetime, bool or None).
    ``merges``: name → merged ranges (``"A1:D1"``). Shared strings as Excel writes them, or
    inline strings as Apache POI's streaming writer does (``shared_strings=False``)."""
    merges = merges or {}
    strings: dict[str, int] | None = {} if shared_strings else None
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, name in enumerate(names, 1):
            with z.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as fh:
                fh.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} {_RNS}>'
                         f"<sheetData>".encode())
                for r, row in enumerate(sheets[name], 1):
                    cells = "".join(_cell(f"{col_letter(c)}{r}", v, strings) for c, v in enumerate(row))
                    fh.write(f'<row r="{r}">{cells}</row>'.encode())
                fh.write(b"</sheetData>")
                if merges.get(name):
                    refs = "".join(f'<mergeCell ref="{m}"/>' for m in merges[name])
                    fh.write(f'<mergeCells count="{len(merges[name])}">{refs}</mergeCells>'.encode())
                fh.write(b"</worksheet>")
        sheet_entries = "".join(f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
                                for n, name in enumerate(names, 1))
        z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                      f"<workbook {_NS} {_RNS}><sheets>{sheet_entries}</sheets></workbook>")
        rels = "".join(f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>' for n in range(1, len(names) + 1))
        k = len(names)
        rels += (f'<Relationship Id="rId{k + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 f'relationships/styles" Target="styles.xml"/>')
        if strings is not None:
            rels += (f'<Relationship Id="rId{k + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                     f'relationships/sharedStrings" Target="sharedStrings.xml"/>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        z.writestr("xl/styles.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {_NS}>'
                   '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
                   '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
                   '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0"/>'
                   '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs>'
                   "</styleSheet>")
        if strings is not None:
            items = "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in strings)
            z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                       f'<sst {_NS} count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for n in range(1, len(names) + 1))
        if strings is not None:
            overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                   f"{overrides}</Types>")
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')


def people(n: int, seed: int = 20) -> list[dict]:
    """``n`` synthetic persons with valid resident ID numbers, mobiles and e-mail addresses."""
    import random

    from detectors.cn_resident_id import check_char

    rng = random.Random(seed)
    out = []
    for i in range(n):
        first17 = f"440305{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{i % 1000:03d}"
        out.append({"name": f"{'王李张刘陈杨'[i % 6]}{'伟芳娜敏静丽'[(i // 6) % 6]}{'强军洋勇艳杰'[(i // 36) % 6]}",
                    "id": first17 + check_char(first17), "phone": 13700000000 + rng.randint(0, 299_999_999),
                    "email": f"member{i}@example.cn", "birth": dt.date(rng.randint(1950, 2005), rng.randint(1, 12),
                                                                          rng.randint(1, 28))})
    return out


def write_ods(path, sheets: dict[str, list[list]]) -> None:
    """A tiny OpenDocument spreadsheet (LibreOffice, WPS): text, numbers and dates."""
    def cell(value) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, dt.date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value.isoformat()}</text:p></table:table-cell>")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (f'<table:table-cell office:value-type="float" office:value="{value!r}">'
                    f"<text:p>{value!r}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{escape(name)}">'
        + "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
        + "</table:table>" for name, rows in sheets.items())
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
