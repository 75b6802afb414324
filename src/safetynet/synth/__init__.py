"""Synthetic Gansu province: divisions, registry and monthly department feeds (seeded, any scale).

See docs/synthetic.md. Entry point: :func:`generate` with :class:`SynthParams`.
"""

from safetynet.synth.generate import SynthParams, generate

__all__ = ["SynthParams", "generate"]
