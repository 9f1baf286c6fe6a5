"""The NinjaAPI: the native API (views.py) at /api/, Open311 GeoReport v2 (open311.py) at
/api/open311/v2/, the OpenAPI schema at /api/openapi.json and its documentation at /api/docs.
Errors answer {"detail": "<中文说明>"} (Open311: [{"code", "description"}])."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from xinfang.api import open311, views
from xinfang.api.auth import ClientBearer
from xinfang.api.docs import OfflineSwagger
from xinfang.api.personal import PersonalLimitExceeded

DESCRIPTION = """
信访工作平台的接口，供其他政务系统调用（如 12345 热线推送信访事项、市级系统读取统计）。

* 认证：`Authorization: Bearer <令牌>`。令牌由管理员用 `manage.py api_client_create` 创建，只显示一次（后台“API 客户端”可停用、调整权限、换发令牌）。
  客户端以其服务用户（所属单位、角色）的身份办理，可见范围与工作台相同；历史记录中署客户端名称。
* 权限（scopes）：`petitions:read`、`petitions:write`、`statistics:read`、`personal:read`（不带此权限时手机号、身份证号部分隐藏）。
* 个人信息：带 `personal:read` 时，每次返回完整个人信息都记入审计日志；每个客户端每小时最多返回 300 件（管理员可调整）信访事项的个人信息，超出时返回 429 及 `Retry-After`。
* 写操作均可带 `Idempotency-Key` 头：重试同一请求不会重复登记或办理。
* 列表按编号倒序分页：把返回的 `next_cursor` 作为 `cursor` 再请求下一页。
* Open311 GeoReport v2（JSON）：`/api/open311/v2/`。
"""


class ChineseJSONRenderer(JSONRenderer):
    """JSON with Chinese as it is (UTF-8), not as \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="信访 Xinfang API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=ClientBearer(),
    docs=OfflineSwagger(),
    docs_url="/docs",
    renderer=ChineseJSONRenderer(),
)
api.add_router("", views.router)
api.add_router("/open311/v2", open311.router)

UNAUTHORIZED = gettext_lazy(
    "The access token is missing or not valid. Give it in the header Authorization: Bearer <token> "
    "(Open311 also takes the api_key parameter)."
)


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if open311.is_open311(request):
        return open311.open311_error_response(status, message)
    return api.create_response(request, {"detail": message}, status=status)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, str(UNAUTHORIZED))
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def refused(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(PersonalLimitExceeded)
def personal_limited(request: HttpRequest, exc: PersonalLimitExceeded) -> HttpResponse:
    """429: the client's hourly budget of petitions with personal data is spent; Retry-After says when
    the next hour begins."""
    response = _error(request, 429, str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Native API: 422 with each field's problem. Open311: 400, as GeoReport says."""
    if open311.is_open311(request):
        return open311.open311_error_response(400, open311.invalid_parameters(open311.errors_text(exc.errors)))
    return api.create_response(request, {"detail": exc.errors}, status=422)
