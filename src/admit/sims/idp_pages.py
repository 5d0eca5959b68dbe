"""The identity-provider simulator's pages: the sign-in form (any user name signs in: a browser
test fills ``#username`` and presses ``#sign-in``) and a plain error page."""

from __future__ import annotations

from html import escape

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5}label{display:block;font-weight:600;margin-top:.8rem}"
    "input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}"
    "button{font-size:1rem;padding:.6rem 1.2rem;margin:1rem .5rem 0 0;cursor:pointer}"
    "#sign-in{background:#1d4ed8;color:#fff;border:0;border-radius:.3rem}"
    ".problem{color:#8a1c1c}"
)


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · ID provider (simulator)</title>\n<style>{_STYLE}</style>\n"
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def authorize_page(request: dict[str, str], problem: str | None = None) -> str:
    """The sign-in form; the authorization request rides along in hidden fields (and is checked
    again when the form comes back)."""
    hidden = "\n".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in request.items()
    )
    alert = f'<p class="problem" role="alert">{escape(problem)}</p>' if problem else ""
    body = (
        "<h1>Sign in to Demo ID</h1>\n"
        f"<p>The application <strong>{escape(request.get('client_id', ''))}</strong> asks who "
        "you are. This is a simulator: any user name signs in.</p>\n"
        f'{alert}<form method="post" action="authorize">\n{hidden}\n'
        '<label for="username">User name</label>\n'
        '<input id="username" name="username" autocomplete="username" maxlength="80" required>\n'
        '<label for="email">E-mail (optional)</label>\n'
        '<input id="email" name="email" type="email" maxlength="254">\n'
        '<button id="sign-in" name="action" value="sign_in">Sign in</button>'
        '<button id="cancel" name="action" value="cancel" formnovalidate>Cancel</button>\n'
        "</form>"
    )
    return _document("Sign in", body)


def error_page(message: str) -> str:
    return _document("Error", f"<h1>Sign-in request refused</h1>\n<p>{escape(message)}</p>")
