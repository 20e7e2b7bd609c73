"""Word lists with a realistic long tail, for album, track and artist names and genres.

A few hundred common words form the head (they are drawn most often); thousands of invented
words built from syllables form the tail. Draws follow a Zipf-like law, so a prefix such as
``album:lo`` matches many albums while ``album:lovren`` matches a few: a client can always
narrow a search by lengthening a prefix or adding a field.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ALBUM_WORDS", "ARTIST_WORDS", "GENRES", "LABELS", "TRACK_WORDS", "Vocabulary"]

_HEAD = [
    "love",
    "night",
    "heart",
    "fire",
    "dream",
    "light",
    "time",
    "life",
    "soul",
    "rain",
    "summer",
    "blue",
    "gold",
    "wild",
    "city",
    "home",
    "girl",
    "boy",
    "baby",
    "world",
    "star",
    "moon",
    "sun",
    "sky",
    "ocean",
    "river",
    "road",
    "way",
    "game",
    "high",
    "low",
    "dark",
    "young",
    "forever",
    "never",
    "always",
    "again",
    "tonight",
    "today",
    "tomorrow",
    "yesterday",
    "midnight",
    "morning",
    "paradise",
    "heaven",
    "angel",
    "devil",
    "ghost",
    "shadow",
    "echo",
    "mirror",
    "glass",
    "stone",
    "water",
    "wave",
    "storm",
    "thunder",
    "lightning",
    "sugar",
    "honey",
    "cherry",
    "rose",
    "lily",
    "velvet",
    "silk",
    "diamond",
    "silver",
    "crystal",
    "neon",
    "electric",
    "magic",
    "mystery",
    "secret",
    "story",
    "song",
    "dance",
    "party",
    "club",
    "street",
    "town",
    "country",
    "island",
    "desert",
    "mountain",
    "valley",
    "garden",
    "forest",
    "winter",
    "spring",
    "autumn",
    "fall",
    "rise",
    "run",
    "fly",
    "fallen",
    "broken",
    "lonely",
    "lost",
    "found",
    "free",
    "alive",
    "dead",
    "gone",
    "home",
    "coming",
    "going",
    "back",
    "down",
    "up",
    "over",
    "under",
    "inside",
    "outside",
    "alone",
    "together",
    "better",
    "worse",
    "best",
    "last",
    "first",
    "only",
    "real",
    "true",
    "fake",
    "new",
    "old",
    "little",
    "big",
    "sweet",
    "bitter",
    "cold",
    "hot",
    "warm",
    "golden",
    "pretty",
    "crazy",
    "lucky",
    "happy",
    "sad",
    "mad",
    "bad",
    "good",
    "money",
    "power",
    "fame",
    "glory",
    "pride",
    "freedom",
    "peace",
    "war",
    "army",
    "battle",
    "fight",
    "kiss",
    "touch",
    "feel",
    "feeling",
    "vibe",
    "mood",
    "energy",
    "motion",
    "rhythm",
    "beat",
    "bass",
    "drum",
    "guitar",
    "piano",
    "voice",
    "words",
    "letters",
    "lies",
    "truth",
    "faith",
    "hope",
    "grace",
    "mercy",
    "blood",
    "bones",
    "skin",
    "eyes",
    "hands",
    "lips",
    "tears",
    "smile",
]

_FIRST_NAMES = [
    "alex",
    "sam",
    "max",
    "leo",
    "mia",
    "zoe",
    "lil",
    "young",
    "big",
    "king",
    "queen",
    "dj",
    "mc",
    "sir",
    "miss",
    "mister",
    "saint",
    "jay",
    "kay",
    "dee",
    "vee",
    "el",
    "la",
    "los",
    "las",
    "the",
    "yung",
    "baby",
    "lady",
    "doctor",
    "captain",
]

_ONSETS = ("b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n",
           "p", "pr", "r", "s", "sh", "st", "t", "tr", "v", "w", "z", "x", "y", "q")  # fmt: skip
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y")
_CODAS = ("", "", "", "n", "r", "s", "l", "x", "th", "m", "k", "nd")

GENRES: tuple[str, ...] = tuple(
    [
        "pop",
        "dance pop",
        "electropop",
        "indie pop",
        "k-pop",
        "latin pop",
        "rap",
        "trap",
        "drill",
        "hip hop",
        "underground hip hop",
        "r&b",
        "alternative r&b",
        "soul",
        "neo soul",
        "rock",
        "indie rock",
        "alternative rock",
        "punk",
        "pop punk",
        "metal",
        "metalcore",
        "edm",
        "house",
        "deep house",
        "tech house",
        "techno",
        "trance",
        "drum and bass",
        "dubstep",
        "lo-fi beats",
        "ambient",
        "classical",
        "jazz",
        "smooth jazz",
        "blues",
        "country",
        "folk",
        "indie folk",
        "singer-songwriter",
        "reggaeton",
        "afrobeats",
        "amapiano",
        "dancehall",
        "reggae",
        "gospel",
        "anime",
        "soundtrack",
        "j-pop",
        "c-pop",
        "bollywood",
        "funk",
        "disco",
        "synthwave",
        "hyperpop",
    ]
)

LABELS: tuple[str, ...] = (
    "Independent", "DistroKid", "TuneCore", "CD Baby", "Believe", "AWAL", "Amuse",
    "Universal Music", "Sony Music Entertainment", "Warner Records", "Atlantic Records",
    "Columbia", "Interscope", "Republic Records", "Island Records", "Capitol Records",
    "Def Jam Recordings", "XL Recordings", "Sub Pop", "Domino", "Ninja Tune", "Warp Records",
    "Epitaph", "Rough Trade", "Secretly Canadian", "4AD", "Matador", "Merge", "Polydor",
)  # fmt: skip


@dataclass(frozen=True)
class Vocabulary:
    """Words and their cumulative Zipf weights, ready for ``random.choices``."""

    words: tuple[str, ...]
    cum_weights: tuple[float, ...]

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=k)


def _invented(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < count:
        syllables = rng.choice((2, 2, 2, 3, 3, 4))
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)
        ) + rng.choice(_CODAS)
        if 4 <= len(word) <= 12 and word not in taken:
            taken.add(word)
            words.append(word)
    return words


def _zipf(head: Sequence[str], tail_size: int, salt: int, exponent: float) -> Vocabulary:
    rng = random.Random(salt)
    taken = set(head)
    words = tuple(dict.fromkeys(head)) + tuple(_invented(rng, tail_size, taken))
    weights = [1.0 / (rank + 10) ** exponent for rank in range(len(words))]
    return Vocabulary(words, tuple(itertools.accumulate(weights)))


ALBUM_WORDS = _zipf(_HEAD, 8000, salt=11, exponent=0.9)
TRACK_WORDS = _zipf(_HEAD, 8000, salt=12, exponent=0.9)
ARTIST_WORDS = _zipf(_FIRST_NAMES, 20000, salt=13, exponent=0.7)
