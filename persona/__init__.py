"""Persona Studio: customer segments, evidence-backed personas, interviews and briefs.

The names a notebook needs, the same functions the CLI and the app call::

    import persona

    project = persona.open_project("workspace", "northwind", llm="fake")
    run = persona.run_segmentation(project, "customers.csv")
    persona.add_documents(project, ["docs/"])
    made = persona.generate_personas(project)
    interview = persona.start_interview(project, made[0].persona_id)
    turn = persona.ask(project, interview, "What do you look for in a tent?")
    panel = persona.ask_panel(project, "Would a paid membership appeal to you?")
    brief = persona.compile_brief(project, interview_ids=[interview], panel_ids=[panel.id])
    persona.export_insights(project, brief.id, "md")

Every persona, answer and brief is synthetic research and labelled as such.
Errors a user can meet are :class:`PersonaError` (or ``segments.SegmentsError``
for tables); their message says what to do.
"""

from persona.brief import export_brief
from persona.errors import PersonaError
from persona.generate import generate_personas
from persona.insights import compile_brief, export_insights
from persona.interview import ask, start_interview
from persona.panel import ask_panel
from persona.personas import get_persona, list_personas
from persona.project import add_documents, open_project
from persona.segmentation import run_segmentation
from persona.services import Services

__all__ = [
    "PersonaError",
    "Services",
    "add_documents",
    "ask",
    "ask_panel",
    "compile_brief",
    "export_brief",
    "export_insights",
    "generate_personas",
    "get_persona",
    "list_personas",
    "open_project",
    "run_segmentation",
    "start_interview",
]
