#include "ferry/engine/session/task_state.hpp"

#include <array>
#include <utility>

#include "ferry/engine/session/session_event.hpp"

namespace ferry::engine {
namespace {

template <class Enum, std::size_t N>
using name_table = std::array<std::pair<Enum, std::string_view>, N>;

constexpr name_table<task_state, 7> state_names{{
    {task_state::queued, "queued"},
    {task_state::running, "running"},
    {task_state::waiting, "waiting"},
    {task_state::paused, "paused"},
    {task_state::completed, "completed"},
    {task_state::failed, "failed"},
    {task_state::cancelled, "cancelled"},
}};

constexpr name_table<task_priority, 4> priority_names{{
    {task_priority::low, "low"},
    {task_priority::normal, "normal"},
    {task_priority::high, "high"},
    {task_priority::foreground, "foreground"},
}};

constexpr name_table<group_order, 2> order_names{{
    {group_order::parallel, "parallel"},
    {group_order::serialized, "serialized"},
}};

template <class Enum, std::size_t N>
std::string_view name_of(const name_table<Enum, N>& table, Enum value) noexcept {
  for (const auto& [v, name] : table) {
    if (v == value) {
      return name;
    }
  }
  return {};
}

template <class Enum, std::size_t N>
std::optional<Enum> value_of(const name_table<Enum, N>& table, std::string_view name) noexcept {
  for (const auto& [v, n] : table) {
    if (n == name) {
      return v;
    }
  }
  return std::nullopt;
}

constexpr name_table<event_kind, 4> event_names{{
    {event_kind::completed, "completed"},
    {event_kind::failed, "failed"},
    {event_kind::cancelled, "cancelled"},
    {event_kind::restarted, "restarted"},
}};

}  // namespace

std::string_view to_string(event_kind k) noexcept {
  return name_of(event_names, k);
}
std::optional<event_kind> parse_event_kind(std::string_view name) noexcept {
  return value_of(event_names, name);
}

std::string_view to_string(task_state s) noexcept {
  return name_of(state_names, s);
}
std::string_view to_string(task_priority p) noexcept {
  return name_of(priority_names, p);
}
std::string_view to_string(group_order o) noexcept {
  return name_of(order_names, o);
}

std::optional<task_state> parse_task_state(std::string_view name) noexcept {
  return value_of(state_names, name);
}
std::optional<task_priority> parse_task_priority(std::string_view name) noexcept {
  return value_of(priority_names, name);
}
std::optional<group_order> parse_group_order(std::string_view name) noexcept {
  return value_of(order_names, name);
}

}  // namespace ferry::engine
