"""The services app's failures, each with a stable code the app or a department can act on."""

from __future__ import annotations

from miniapps.sdk import Conflict, Forbidden, NotFound, ValidationFailed


class BundleNotFound(NotFound):
    code, title = "bundle_not_found", "No such service bundle"


class ApplicationNotDraft(Conflict):
    code, title = "application_not_draft", "The application was already submitted"


class ApplicationIncomplete(ValidationFailed):
    code, title = "application_incomplete", "Fields or materials are still missing"


class StepNotWaiting(Conflict):
    code, title = "step_not_waiting", "The step is not waiting for this"


class NotDepartmentStaff(Forbidden):
    code, title = "not_department_staff", "Only a department's staff may do this"


class MaterialRejected(ValidationFailed):
    code, title = "material_rejected", "The material is too large or not of an accepted type"
