"""What a variant is: how it prepares a unit's ticket, and how the report draws it."""

from __future__ import annotations


class Variant:
    """One way to train a level's sparsity (the IMP ticket, or one of its controls).

    Subclasses set the class attributes and implement :meth:`prepare`. `tag` feeds
    the unit's seeds (:func:`lottery_keras.experiment.config.derive_seed`): it must
    never change once a variant is released, or old runs stop resuming identically.
    """

    name: str = ""
    tag: int = -1
    color: str = "black"
    marker: str = "o"
    description: str = ""  # one line for --help and the README

    def prepare(self, ticket, seed: int, rewind: str) -> None:
        """Set up `ticket` to train this unit.

        On entry the ticket holds the level's IMP mask and the replicate's W0 (rewound to
        "init"), and has the snapshot named `rewind` ("init" at level 0); `seed` is the
        unit's own seed for any random choice.
        """
        raise NotImplementedError

    def label(self, rewind: str) -> str:
        """The legend entry (`rewind`: the config's rewind point, e.g. "init")."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<variant {self.name}>"
