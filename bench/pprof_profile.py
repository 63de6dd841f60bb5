"""Reads a Go CPU profile (the gzipped protobuf that /debug/pprof/profile
serves) without Go: a minimal decoder of the profile format's protobuf, enough
to turn every sample into (CPU nanoseconds, stack of function names, leaf
first). Standard library only, so the bench needs no `go tool pprof`.

The fields used, by number (profile.proto of github.com/google/pprof):
  Profile:  1 sample_type, 2 sample, 4 location, 5 function, 6 string_table
  ValueType: 1 type, 2 unit (string table indices)
  Sample:   1 location_id (packed), 2 value (packed)
  Location: 1 id, 4 line
  Line:     1 function_id
  Function: 1 id, 2 name (string table index)
"""
import gzip


def _varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    """Yields (field number, wire type, value): an int for varints, bytes for
    length-delimited fields; fixed-width fields are skipped."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value = buf[pos:pos + size]
            pos += size
        elif wire == 1:
            pos += 8
            continue
        elif wire == 5:
            pos += 4
            continue
        else:
            raise ValueError(f"profile: unsupported wire type {wire} at byte {pos}")
        yield num, wire, value


def _ints(wire, value):
    """A repeated integer field: packed (bytes) or one varint."""
    if wire == 0:
        return [value]
    out, pos = [], 0
    while pos < len(value):
        v, pos = _varint(value, pos)
        out.append(v)
    return out


class Profile:
    def __init__(self, data):
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        strings, sample_types, raw_samples, locations, functions = [], [], [], {}, {}
        for num, wire, value in _fields(data):
            if num == 1:
                t = dict((n, v) for n, _, v in _fields(value))
                sample_types.append((t.get(1, 0), t.get(2, 0)))
            elif num == 2:
                ids, values = [], []
                for n, w, v in _fields(value):
                    if n == 1:
                        ids += _ints(w, v)
                    elif n == 2:
                        values += _ints(w, v)
                raw_samples.append((ids, values))
            elif num == 4:
                loc_id, funcs = 0, []
                for n, _, v in _fields(value):
                    if n == 1:
                        loc_id = v
                    elif n == 4:
                        funcs += [fv for fn, _, fv in _fields(v) if fn == 1]
                # Inlined frames come innermost first, as the sample's stack does.
                locations[loc_id] = funcs
            elif num == 5:
                f = dict((n, v) for n, _, v in _fields(value))
                functions[f.get(1, 0)] = f.get(2, 0)
            elif num == 6:
                strings.append(value.decode("utf-8", "replace"))
        self.sample_types = [(strings[t], strings[u]) for t, u in sample_types]
        # The CPU profile's values are (samples count, cpu nanoseconds).
        value_index = next((i for i, (t, u) in enumerate(self.sample_types) if t == "cpu"),
                           len(self.sample_types) - 1)
        self.samples = []
        for ids, values in raw_samples:
            stack = []
            for loc in ids:
                stack += [strings[functions.get(f, 0)] for f in locations.get(loc, [])]
            self.samples.append((values[value_index] if values else 0, stack))

    def total_ns(self):
        return sum(v for v, _ in self.samples)


def load(path):
    with open(path, "rb") as f:
        return Profile(f.read())
