"""Write N reproducible deal requests for programs/ejourney.charter as JSON Lines.

    python benchmarks/make_deals.py 100000 > /tmp/deals.jsonl
"""
from __future__ import annotations

import json
import random
import sys

PRODUCTS = ("Essentials", "Growth", "Enterprise")
ROUTES = ([], [{"channel": "Referral"}], [{"channel": "VAD", "tier": "Standard"}],
          [{"channel": "VAD", "tier": "Accelerator"}], [{"channel": "VAD", "tier": "Elite"}],
          [{"channel": "Referral"}, {"channel": "VAD", "tier": "Accelerator"}],
          [{"channel": "Referral"}, {"channel": "VAD", "tier": "Standard"}])


def deal(rng: random.Random, number: int) -> dict:
    """One random but plausible deal."""
    request = {"id": number, "product": rng.choice(PRODUCTS), "seats": rng.randint(10, 5000),
               "years": rng.randint(1, 3), "route": rng.choice(ROUTES),
               "services": {"one_time": str(rng.randint(0, 500) * 1_000_000),
                            "per_year": str(rng.randint(0, 50) * 1_000_000)},
               "close_date": f"2026-{rng.randint(1, 12):02d}-15"}
    # the referral ladder applies when Referral closes; elsewhere a cumulative would be warned
    if request["route"] == [{"channel": "Referral"}] and rng.random() < 0.7:
        request["cumulative"] = {"Referral": str(rng.randint(0, 6000) * 1_000_000)}
    return request


def main(count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    write = sys.stdout.write
    for number in range(1, count + 1):
        write(json.dumps(deal(rng, number), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
