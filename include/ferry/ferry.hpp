// ferry — the umbrella header of ferry::ferry: the engine and the HTTP protocol.
#pragma once

#include "ferry/engine.hpp"
#include "ferry/http.hpp"
