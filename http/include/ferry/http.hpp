// ferry::http — every public header of the HTTP/1.1 protocol library.
#pragma once

#include "ferry/http/auth.hpp"
#include "ferry/http/content_range.hpp"
#include "ferry/http/cookie_jar.hpp"
#include "ferry/http/error.hpp"
#include "ferry/http/proxy.hpp"
#include "ferry/http/redirect.hpp"
#include "ferry/http/request.hpp"
#include "ferry/http/response_head.hpp"
#include "ferry/http/response_reader.hpp"
#include "ferry/http/retry_after.hpp"
#include "ferry/http/status.hpp"
#include "ferry/http/url.hpp"
#include "ferry/http/validators.hpp"
