"""Policy rules: the assistance calculators (pure; parameters come from :mod:`safetynet.parameters`).

Other packages import the calculators' error and the fen → yuan conversion from here, not from
the private ``_money`` module.
"""

from safetynet.policy._money import CalcError, yuan

__all__ = ["CalcError", "yuan"]
