"""The OpenAI API as COCOON sees it, without I/O: what a request may contain (`validation`),
how tokens are counted in an answer (`usage`) and how failures are answered (`errors`)."""

from cocoon.openai.errors import ErrorResponse, error_body, error_response
from cocoon.openai.usage import UsageCounter, UsageCounts
from cocoon.openai.validation import (
    CHAT_COMPLETIONS,
    CLIENT_ERROR_PREFIX,
    COMPAT,
    COMPLETIONS,
    EXTENDED,
    WORKER_ERROR_PREFIX,
    ClientRequest,
    ClientRequestOptions,
    InvalidRequestError,
    Profile,
    ValidatedRequest,
    parse_client_request,
    validate_request,
)

__all__ = [
    "CHAT_COMPLETIONS",
    "CLIENT_ERROR_PREFIX",
    "COMPAT",
    "COMPLETIONS",
    "EXTENDED",
    "WORKER_ERROR_PREFIX",
    "ClientRequest",
    "ClientRequestOptions",
    "ErrorResponse",
    "InvalidRequestError",
    "Profile",
    "UsageCounter",
    "UsageCounts",
    "ValidatedRequest",
    "error_body",
    "error_response",
    "parse_client_request",
    "validate_request",
]
