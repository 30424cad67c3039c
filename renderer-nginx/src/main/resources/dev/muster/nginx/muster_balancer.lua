-- Muster's balancer for nginx (mode: dynamic), written next to Muster's include file.
--
-- The members of every upstream live in the shared dict `muster` as one text, one member a line:
--   BACKEND INSTANCE-ID ADDRESS PORT WEIGHT FLAGS        (FLAGS: "-", or b = backup, d = draining)
-- Muster PUTs that text to the admin location (a unix socket) and writes it to a file, which a
-- starting worker loads when the dict is empty (after an nginx start; a reload keeps the dict).
-- Each worker parses the text again (and splits each upstream into primaries and backups) only
-- when its version changes.
--
-- The balancer: smooth weighted round robin over the usable members (not draining, weight above
-- 0); backup members only while no primary is usable; a failed attempt is retried on another
-- member (set_more_tries, at most MAX_TRIES). Requests in flight are counted per member, for
-- drains: the balancer counts an attempt, the log phase (log_by_lua at http level, in the
-- include) and the next attempt of a retry uncount it.
local balancer = require("ngx.balancer")

local _M = {}
local MAX_TRIES = 3
local dict = ngx.shared.muster
local parsed_version = -1
local upstreams = {}

local function parse(text)
  local out = {}
  local n = 0
  for line in text:gmatch("[^\n]+") do
    if line:sub(1, 1) ~= "#" then
      local b, id, addr, port, weight, flags =
        line:match("^(%S+) (%S+) (%S+) (%d+) (%d+) (%S+)$")
      if not b then
        return nil, "bad line " .. (n + 1) .. ": " .. line
      end
      local list = out[b]
      if not list then
        list = {}
        out[b] = list
      end
      list[#list + 1] = {
        id = id, addr = addr, port = tonumber(port), weight = tonumber(weight),
        backup = flags:find("b", 1, true) ~= nil,
        draining = flags:find("d", 1, true) ~= nil,
        current = 0,
      }
      n = n + 1
    end
  end
  return out, n
end

-- Splits each upstream's members into primaries and backups once per version, so that a request
-- allocates nothing to pick its member.
local function split(list)
  local primary, backup = {}, {}
  for _, m in ipairs(list) do
    if m.backup then
      backup[#backup + 1] = m
    else
      primary[#primary + 1] = m
    end
  end
  return { all = list, primary = primary, backup = backup }
end

local function refresh()
  local version = dict:get("version") or 0
  if version == parsed_version then
    return
  end
  local text = dict:get("members") or ""
  local members = parse(text)
  if members then
    -- Keep each member's round-robin state across updates.
    local fresh = {}
    for name, list in pairs(members) do
      local old = {}
      for _, m in ipairs(upstreams[name] and upstreams[name].all or {}) do
        old[m.id] = m.current
      end
      for _, m in ipairs(list) do
        m.current = old[m.id] or 0
      end
      fresh[name] = split(list)
    end
    upstreams = fresh
  end
  parsed_version = version
end

-- Loads the last applied members from `path` if the dict has none (every worker tries; the
-- first one's add wins).
function _M.init_worker(path)
  if dict:get("members") then
    return
  end
  local f = io.open(path, "r")
  if not f then
    return
  end
  local text = f:read("*a")
  f:close()
  if parse(text) then
    if dict:add("members", text) then
      dict:incr("version", 1, 0)
    end
  end
end

local function pick(list, tried)
  local total, best = 0, nil
  for _, m in ipairs(list) do
    if not m.draining and m.weight > 0 and not tried[m.id] then
      m.current = m.current + m.weight
      total = total + m.weight
      if best == nil or m.current > best.current then
        best = m
      end
    end
  end
  if best then
    best.current = best.current - total
  end
  return best
end

-- balancer_by_lua_block of upstream `name`.
function _M.balance(name)
  refresh()
  local upstream = upstreams[name]
  if not upstream then
    ngx.log(ngx.ERR, "muster: upstream ", name, " has no members")
    return ngx.exit(502)
  end
  local ctx = ngx.ctx
  local tried = ctx.muster_tried
  if not tried then
    tried = {}
    ctx.muster_tried = tried
  end
  if ctx.muster_current then
    -- A retry: the previous attempt is over.
    dict:incr("inflight:" .. ctx.muster_current, -1, 0)
    ctx.muster_current = nil
  end
  local m = pick(upstream.primary, tried) or pick(upstream.backup, tried)
  if not m then
    ngx.log(ngx.ERR, "muster: no usable member left in ", name)
    return ngx.exit(502)
  end
  tried[m.id] = true
  if not ctx.muster_tries_set then
    ctx.muster_tries_set = true
    local more = math.min(#upstream.all - 1, MAX_TRIES)
    if more > 0 then
      balancer.set_more_tries(more)
    end
  end
  local ok, err = balancer.set_current_peer(m.addr, m.port)
  if not ok then
    ngx.log(ngx.ERR, "muster: set_current_peer ", m.addr, ":", m.port, ": ", err)
    return ngx.exit(500)
  end
  dict:incr("inflight:" .. m.id, 1, 0)
  ctx.muster_current = m.id
end

-- log_by_lua_block at http level: the request's last attempt is over.
function _M.log()
  local current = ngx.ctx.muster_current
  if current then
    dict:incr("inflight:" .. current, -1, 0)
    ngx.ctx.muster_current = nil
  end
end

-- content_by_lua_block of the admin server: GET /members, PUT /members, GET /inflight.
function _M.admin()
  local uri, method = ngx.var.uri, ngx.req.get_method()
  if uri == "/members" and method == "GET" then
    ngx.header["X-Muster-Version"] = tostring(dict:get("version") or 0)
    ngx.print(dict:get("members") or "")
    return
  end
  if uri == "/members" and method == "PUT" then
    ngx.req.read_body()
    local text = ngx.req.get_body_data()
    if not text then
      local file = ngx.req.get_body_file()
      if file then
        local f = io.open(file, "r")
        text = f:read("*a")
        f:close()
      end
    end
    local members, err = parse(text or "")
    if not members then
      ngx.status = 400
      ngx.say(err)
      return
    end
    local ok, set_err = dict:set("members", text)
    if not ok then
      ngx.status = 507
      ngx.say("the shared dict muster is full: ", set_err)
      return
    end
    dict:incr("version", 1, 0)
    ngx.status = 204
    return
  end
  if uri == "/inflight" and method == "GET" then
    for _, key in ipairs(dict:get_keys(0)) do
      if key:sub(1, 9) == "inflight:" then
        ngx.say(key:sub(10), " ", dict:get(key))
      end
    end
    return
  end
  ngx.status = 404
  ngx.say("muster: GET or PUT /members, GET /inflight")
end

return _M
