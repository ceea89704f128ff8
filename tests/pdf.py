"""Reading the PDFs planner writes, without a PDF library: pages are drawn in the PDF's own Helvetica
(`planner.reports.pdf_report.save_page`), so each line of text is a literal `(...) Tj` in its page's
deflated content stream."""

from __future__ import annotations

import re
import zlib


def page_streams(pdf: bytes) -> list[bytes]:
    """Each page's content stream, inflated, in the order the PDF shows its pages."""
    kids = re.search(rb"/Type /Pages\s*/Kids \[(.*?)\]", pdf, re.DOTALL)
    assert kids is not None
    drawings = []
    for page in re.findall(rb"(\d+) 0 R", kids[1]):
        contents = re.search(rb"\n" + page + rb" 0 obj\n<< /Type /Page .*?/Contents (\d+) 0 R", pdf, re.DOTALL)
        assert contents is not None
        start = pdf.index(b"stream\n", pdf.index(b"\n" + contents[1] + b" 0 obj\n")) + len(b"stream\n")
        drawings.append(zlib.decompressobj().decompress(pdf[start:]))
    return drawings


def page_texts(pdf: bytes) -> list[str]:
    """Each page's lines of text, joined by newlines (PDF string escapes undone)."""
    texts = []
    for stream in page_streams(pdf):
        lines = re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", stream)
        texts.append("\n".join(re.sub(rb"\\(.)", rb"\1", line).decode("cp1252") for line in lines))
    return texts


def page_sizes_inches(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's width and height in inches (its MediaBox, at 72 points an inch)."""
    boxes = re.findall(rb"/Type /Page\b.*?/MediaBox \[\s*([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)\s*\]", pdf, re.DOTALL)
    return [((float(x1) - float(x0)) / 72, (float(y1) - float(y0)) / 72) for x0, y0, x1, y1 in boxes]
