// ferry::http — every public header of the HTTP/1.1 protocol library.
#pragma once

#include "ferry/http/error.hpp"
