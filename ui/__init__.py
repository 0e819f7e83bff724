"""Persona Studio's Gradio app: the whole flow in the browser, no business logic.

Each screen is one module (:mod:`ui.data`, :mod:`ui.documents`,
:mod:`ui.personas`, :mod:`ui.interview`, :mod:`ui.panel`) calling the same
library functions as the CLI; :mod:`ui.common` holds the error boundary and the
safe rendering of model output; :mod:`ui.security` who may reach the app and
what it serves; :mod:`ui.api` the public endpoints for scripts::

    from persona.config import load_settings
    from persona.services import Services
    import ui

    ui.launch(Services(load_settings()))
"""

from ui.app import build_app, launch, launch_options
from ui.security import check_exposure

__all__ = ["build_app", "check_exposure", "launch", "launch_options"]
