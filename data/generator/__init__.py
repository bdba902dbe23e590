"""The parts of the demo county generator, one concern each; :mod:`data.demo` puts them together.

:mod:`~data.generator.identity` (name and provenance), :mod:`~data.generator.sampling` (spreading points),
:mod:`~data.generator.names` (place names), :mod:`~data.generator.roads` (drawing roads),
:mod:`~data.generator.county` (outline and county town), :mod:`~data.generator.townships` (townships and
villages), :mod:`~data.generator.schools` (the school table's rows), :mod:`~data.generator.writing` (the files).
"""
