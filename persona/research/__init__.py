"""From synthetic to real research: screeners, recruitment lists, real interview notes.

Modules (imported directly; this package re-exports nothing, so that
:mod:`persona.insights` can use :mod:`persona.research.support` without a cycle):

* :mod:`~persona.research.target`: which segment a command is about;
* :mod:`~persona.research.screener`: screening questions from a segment's rules;
* :mod:`~persona.research.recruit`: stratified recruitment lists of real customers;
* :mod:`~persona.research.guide`: the interview guide for real conversations;
* :mod:`~persona.research.kit`: screener and research-kit files;
* :mod:`~persona.research.notes`: real interview notes in, masked, as ``research`` evidence;
* :mod:`~persona.research.support`: whether real notes confirm or contradict a hypothesis.
"""
