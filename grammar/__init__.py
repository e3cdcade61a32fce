"""The charter grammar (`charter.lark`), shipped as package data of `charter.grammar`."""
