"""Audio analysis documents shaped like Spotify's, sized by the track's duration.

Per second of audio the recorded analysis (fixtures/track_audio_analysis.json, 227 s) has about
3.6 segments, 2 tatums per beat and ~210 characters of code strings; generated documents keep
those densities, so a 227 s track gives ~700 KB of (indented) JSON and a 10-minute track over
1 MB. Like the recording, only the last segment carries ``loudness_end``.
"""

from __future__ import annotations

import base64
import random
from typing import Any

from tunestream_emulator.catalog import AudioFeatures, Track

__all__ = ["audio_analysis"]

_SEGMENTS_PER_SECOND = 3.57
_STRING_CHARS_PER_SECOND = {"codestring": 37.6, "echoprintstring": 113.6, "synchstring": 14.0,
                            "rhythmstring": 43.6}  # fmt: skip
_VERSIONS = {
    "codestring": ("code_version", 3.15),
    "echoprintstring": ("echoprint_version", 4.12),
    "synchstring": ("synch_version", 1.0),
    "rhythmstring": ("rhythm_version", 1.0),
}


def _intervals(rng: random.Random, start: float, end: float, step: float) -> list[dict[str, float]]:
    out: list[dict[str, float]] = []
    t = start
    while t + step <= end:
        duration = step * rng.uniform(0.97, 1.03)
        out.append(
            {
                "start": round(t, 5),
                "duration": round(duration, 5),
                "confidence": round(rng.random(), 3),
            }
        )
        t += duration
    return out


def _segments(rng: random.Random, duration: float, loudness: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    t = 0.0
    mean = 1 / _SEGMENTS_PER_SECOND
    r, u, g = rng.random, rng.uniform, rng.gauss
    while t < duration:
        length = min(duration - t, max(0.05, rng.expovariate(1 / mean)))
        peak = min(0.0, loudness + g(0, 4))
        out.append(
            {
                "start": round(t, 5),
                "duration": round(length, 5),
                "confidence": round(r(), 3),
                "loudness_start": round(peak - u(3, 20), 3),
                "loudness_max_time": round(length * r() * 0.5, 5),
                "loudness_max": round(peak, 3),
                "pitches": [round(r(), 3) for _ in range(11)] + [1.0],
                "timbre": [round(u(0, 60), 3)] + [round(g(0, 50), 3) for _ in range(11)],
            }
        )
        t += length
    if out:
        out[-1]["loudness_end"] = -60.0
    return out


def audio_analysis(track: Track, features: AudioFeatures, timestamp: int) -> dict[str, Any]:
    """The analysis document of one track (deterministic in the track and its features)."""
    rng = random.Random(f"analysis:{track.id}")
    duration = track.duration_ms / 1000
    beat = 60 / features.tempo
    fade_in = round(rng.uniform(0, 0.5), 5)
    fade_out = round(duration - rng.uniform(2, 10), 5)
    beats = _intervals(rng, fade_in, duration, beat)
    signature = max(3, features.time_signature)
    section_length = duration / max(1, round(duration / 20))
    sections = [
        {
            **interval,
            "loudness": round(features.loudness + rng.gauss(0, 3), 3),
            "tempo": round(features.tempo * rng.uniform(0.99, 1.01), 3),
            "tempo_confidence": round(rng.random(), 3),
            "key": features.key,
            "key_confidence": round(rng.random(), 3),
            "mode": features.mode,
            "mode_confidence": round(rng.random(), 3),
            "time_signature": signature,
            "time_signature_confidence": round(rng.random(), 3),
        }
        for interval in _intervals(rng, 0.0, duration + section_length / 2, section_length)
    ]
    strings: dict[str, Any] = {}
    for name, per_second in _STRING_CHARS_PER_SECOND.items():
        size = int(duration * per_second)
        strings[name] = base64.urlsafe_b64encode(rng.randbytes(size * 3 // 4 + 3)).decode()[:size]
        version_key, version = _VERSIONS[name]
        strings[version_key] = version
    return {
        "meta": {
            "analyzer_version": "4.0.0",
            "platform": "Linux",
            "detailed_status": "OK",
            "status_code": 0,
            "timestamp": timestamp,
            "analysis_time": round(rng.uniform(3, 15), 5),
            "input_process": "libvorbisfile L+R 44100->22050",
        },
        "track": {
            "num_samples": int(duration * 22_050),
            "duration": round(duration, 5),
            "sample_md5": "",
            "offset_seconds": 0,
            "window_seconds": 0,
            "analysis_sample_rate": 22_050,
            "analysis_channels": 1,
            "end_of_fade_in": fade_in,
            "start_of_fade_out": fade_out,
            "loudness": features.loudness,
            "tempo": features.tempo,
            "tempo_confidence": round(rng.random(), 3),
            "time_signature": signature,
            "time_signature_confidence": round(rng.random(), 3),
            "key": features.key,
            "key_confidence": round(rng.random(), 3),
            "mode": features.mode,
            "mode_confidence": round(rng.random(), 3),
            **strings,
        },
        "bars": _intervals(rng, fade_in, duration, beat * signature),
        "beats": beats,
        "sections": sections,
        "segments": _segments(rng, duration, features.loudness),
        "tatums": _intervals(rng, fade_in, duration, beat / 2),
    }
