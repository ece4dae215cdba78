"""Boundaries (GeoJSON, WGS84) drawn as SVG paths in one projection for the whole country.

An equirectangular projection scaled at Bulgaria's middle latitude: 1 unit ≈ 0.001° of latitude
(≈ 111 m), good enough for maps of regions and municipalities and small enough to inline in a page.
"""

import math

_LON0, _LAT0 = 22.3, 44.3
_KX = math.cos(math.radians(42.7)) * 1000
_KY = 1000.0


def project(lon: float, lat: float) -> tuple[int, int]:
    return round((lon - _LON0) * _KX), round((_LAT0 - lat) * _KY)


def _rings(geometry: dict):
    kind = geometry.get("type")
    if kind == "Polygon":
        yield from geometry["coordinates"]
    elif kind == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon
    elif kind == "GeometryCollection":
        for part in geometry.get("geometries", []):
            yield from _rings(part)


def svg_path(geometry: dict) -> tuple[str, tuple[int, int, int, int] | None]:
    """The SVG path data of a (Multi)Polygon and its bounding box (min x, min y, max x, max y)."""
    parts = []
    xs: list[int] = []
    ys: list[int] = []
    for ring in _rings(geometry):
        points = []
        for lon, lat, *_rest in ring:
            point = project(lon, lat)
            if not points or points[-1] != point:
                points.append(point)
        if len(points) < 3:
            continue
        xs.extend(p[0] for p in points)
        ys.extend(p[1] for p in points)
        head, *tail = points
        parts.append(f"M{head[0]} {head[1]}" + "".join(f"L{x} {y}" for x, y in tail) + "Z")
    if not parts:
        return "", None
    return "".join(parts), (min(xs), min(ys), max(xs), max(ys))


def bbox_str(bbox) -> str:
    return " ".join(str(v) for v in bbox) if bbox else ""


def view_box(bboxes: list[str], margin: float = 0.03) -> str:
    """An SVG viewBox that frames all the given bounding boxes."""
    boxes = [tuple(int(v) for v in b.split()) for b in bboxes if b]
    if not boxes:
        return "0 0 4800 3200"
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    pad = round(max(x1 - x0, y1 - y0) * margin)
    return f"{x0 - pad} {y0 - pad} {x1 - x0 + 2 * pad} {y1 - y0 + 2 * pad}"
