// RFC 9112 §3 (request line), RFC 9110 §5.1 and §5.5 (field names and values):
//
//   request-line = method SP request-target SP HTTP-version
//   field-name   = token ; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "."
//                          ;         / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
//   field-value  = *field-content ; VCHAR, obs-text, SP, HTAB — never CR, LF or NUL
#include "ferry/http/request.hpp"

#include <algorithm>
#include <cstdio>

#include "ferry/http/error.hpp"

namespace ferry::http {
namespace {

bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  constexpr std::string_view others = "!#$%&'*+-.^_`|~";
  return others.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

bool is_field_value(std::string_view s) noexcept {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

bool is_valid_field(std::string_view name, std::string_view value) noexcept {
  return is_token(name) && is_field_value(value);
}

void request::remove(std::string_view name) {
  std::erase_if(fields, [&](const field& f) { return iequals(f.name, name); });
}

void request::set(std::string_view name, std::string_view value) {
  remove(name);
  fields.push_back({std::string{name}, std::string{value}});
}

std::string write_head(const request& r, target_form form, std::error_code& ec) {
  ec = {};
  if (!is_token(r.method)) {
    ec = error::invalid_field;
    return {};
  }
  bool has_host = false;
  for (const field& f : r.fields) {
    if (!is_valid_field(f.name, f.value) || iequals(f.name, "content-length") ||
        iequals(f.name, "transfer-encoding")) {
      ec = error::invalid_field;
      return {};
    }
    has_host = has_host || iequals(f.name, "host");
  }
  std::string out;
  out.reserve(256);
  out.append(r.method);
  out.push_back(' ');
  switch (form) {
    case target_form::origin:
      out.append(r.url.target());
      break;
    case target_form::absolute:
      out.append(r.url.absolute_target());
      break;
    case target_form::authority:
      out.append(authority_of(r.url));
      break;
  }
  out.append(" HTTP/1.1\r\n");
  if (!has_host) {
    append_field(out, "Host",
                 form == target_form::authority ? authority_of(r.url) : r.url.host_header());
  }
  for (const field& f : r.fields) {
    append_field(out, f.name, f.value);
  }
  switch (r.framing) {
    case body_framing::none:
      break;
    case body_framing::content_length:
      append_field(out, "Content-Length", std::to_string(r.content_length));
      break;
    case body_framing::chunked:
      append_field(out, "Transfer-Encoding", "chunked");
      break;
  }
  if (r.expect_continue && r.framing != body_framing::none) {
    append_field(out, "Expect", "100-continue");
  }
  out.append("\r\n");
  return out;
}

std::string write_head(const request& r, target_form form) {
  std::error_code ec;
  std::string head = write_head(r, form, ec);
  if (ec) {
    throw std::system_error{ec, "write_head"};
  }
  return head;
}

std::string authority_of(const url& u) {
  const bool v6 = u.host().find(':') != std::string::npos;
  return (v6 ? "[" + u.host() + "]" : u.host()) + ":" + std::to_string(u.port());
}

request connect_request(const url& destination, std::vector<field> proxy_fields) {
  request r;
  r.method = "CONNECT";
  r.url = destination;
  r.fields = std::move(proxy_fields);
  return r;
}

std::string write_connect(const url& destination, const std::vector<field>& proxy_fields,
                          std::error_code& ec) {
  return write_head(connect_request(destination, proxy_fields), target_form::authority, ec);
}

std::string chunk_header(std::size_t size) {
  char text[24];
  const int n = std::snprintf(text, sizeof text, "%zx\r\n", size);
  return {text, static_cast<std::size_t>(n)};
}

}  // namespace ferry::http
