// Kept for one release: ferry::engine::socket is tcp_socket now (ferry/engine/io/tcp_socket.hpp).
#pragma once

#include "ferry/engine/io/tcp_socket.hpp"
