"""The `metrics` guard source: a `/metrics` text page (Prometheus exposition format).

The number is the sum of the samples named `name` whose labels include `labels` and whose
labels match the `match` regular expressions (whole value: `status = "5.."`), times
`scale` (e.g. 1000: seconds to milliseconds). Counters are better read as an increase:

- `divide_by = { name, labels, match }`: the increase of the sum since the previous sample
  divided by the increase of the divisor (the 5xx share of the requests in between);
- `rate = true`: the increase per second since the previous sample.

Either needs two samples (the first one is inconclusive), as does a divisor that did not
grow (no requests in between) or a counter that went down (a restart reset it). A series
not on the page yet counts as 0 in an increase (a counter is exported once it is used), the
divisor's too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from dwtui.watch_guards.sampling import Reading, SampleError, SampleRequest, http_get


def _series(params: Mapping[str, Any]) -> tuple[str, dict[str, str], dict[str, re.Pattern[str]]]:
    labels = {str(k): str(v) for k, v in (params.get("labels") or {}).items()}
    match = {str(k): re.compile(str(v)) for k, v in (params.get("match") or {}).items()}
    return str(params["name"]), labels, match


def _shown(name: str, labels: Mapping[str, str], match: Mapping[str, re.Pattern[str]]) -> str:
    parts = [f'{k}="{v}"' for k, v in labels.items()]
    parts += [f'{k}=~"{v.pattern}"' for k, v in match.items()]
    return f"{name}{{{','.join(parts)}}}"


def _total(families: list[Any], params: Mapping[str, Any]) -> tuple[float, int]:
    """(sum, number of samples) of the series `params` names."""
    name, labels, match = _series(params)
    total, matched = 0.0, 0
    for family in families:
        for sample in family.samples:
            if sample.name != name:
                continue
            if any(sample.labels.get(k) != v for k, v in labels.items()):
                continue
            if any(not p.fullmatch(sample.labels.get(k, "")) for k, p in match.items()):
                continue
            total += float(sample.value)
            matched += 1
    return total, matched


def metrics_text(request: SampleRequest) -> Reading:
    """One reading of a metrics guard (see the module's docstring)."""
    from prometheus_client.parser import text_string_to_metric_families

    params = request.params
    text = http_get(request, str(params["url"])).decode("utf-8", "replace")
    read_at = time.monotonic()
    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, TypeError, IndexError) as exc:
        raise SampleError(f"the metrics page does not parse: {str(exc)[:120]}") from None
    total, matched = _total(families, params)
    scale = float(params.get("scale", 1.0))
    shown = _shown(*_series(params))
    divisor = params.get("divide_by")
    if not divisor and not params.get("rate"):
        if not matched:
            raise SampleError(f"no sample {shown} on the metrics page")
        return Reading(
            total * scale, f"{shown} = {total:g} ({matched} sample{'s' * (matched != 1)})"
        )
    below = _total(families, divisor)[0] if divisor else 0.0
    previous = request.memory.get("metrics")
    request.memory["metrics"] = (read_at, total, below)
    if previous is None:
        raise SampleError("first sample: an increase needs the next one too")
    was_at, was_total, was_below = previous
    grew, below_grew = total - was_total, below - was_below
    if grew < 0 or below_grew < 0:
        raise SampleError("a counter went down since the last sample (reset by a restart)")
    if divisor:
        if below_grew == 0:
            raise SampleError(f"{_shown(*_series(divisor))} did not grow since the last sample")
        value = grew / below_grew
        return Reading(value * scale, f"{shown} +{grew:g} / +{below_grew:g}")
    seconds = max(read_at - was_at, 1e-6)
    return Reading(grew / seconds * scale, f"{shown} +{grew:g} in {seconds:.1f} s")
