//! Worker threads (`env.spawn(role)`): each runs `require("luasync_workers")[role](env)`
//! in its own state (its own runtime) on its own OS thread, as a Lunatik thread would run
//! in its own runtime on a kernel thread. The handle offers `join()`, `stop()` (sets the
//! worker's stop flag, which interrupts its waits, then joins) and `waitblocked()`.

use std::ffi::{c_int, CStr};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use super::{setup, Role};
use crate::lua::Table;
use crate::lua_host::*;
use crate::port_double;
use crate::sync::interrupt::{self, ThreadCtl};

struct Worker {
    ctl: Arc<ThreadCtl>,
    thread: Mutex<Option<JoinHandle<Result<(), String>>>>,
    result: OnceLock<Result<(), String>>,
}

impl Worker {
    /// Waits for the thread to end (once) and returns how its body ended.
    fn join(&self) -> &Result<(), String> {
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let result = thread
                .join()
                .unwrap_or_else(|_| Err(String::from("worker thread panicked")));
            let _ = self.result.set(result);
        }
        self.result.get().unwrap_or(&Ok(()))
    }

    fn running(&self) -> bool {
        self.thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }
}

/// Every worker of the running suite.
static WORKERS: Mutex<Vec<Arc<Worker>>> = Mutex::new(Vec::new());

/// Stops and joins the workers still running; returns how many there were.
pub(super) fn stop_all() -> usize {
    let workers = std::mem::take(&mut *WORKERS.lock().unwrap_or_else(|p| p.into_inner()));
    let mut running = 0;
    for worker in workers {
        if worker.running() {
            running += 1;
            worker.ctl.stop();
            let _ = worker.join();
        }
    }
    running
}

const BODY: &CStr = c"local role, env = ...
local roles = require('luasync_workers')
local body = roles[role]
if type(body) ~= 'function' then error('no worker role ' .. tostring(role)) end
return body(env)";

unsafe extern "C" fn worker_main(l: *mut lua_State) -> c_int {
    // SAFETY: called through `lua_pcall` with the role name as argument 1.
    unsafe {
        setup(l, Role::Worker);
        if luaL_loadstring(l, BODY.as_ptr()) != LUA_OK {
            lua_error(l);
        }
        lua_pushvalue(l, 1);
        lua_pushvalue(l, -3);
        lua_callk(l, 2, 0, 0, None);
    }
    0
}

fn run_worker(role: Vec<u8>, ready: mpsc::Sender<Arc<ThreadCtl>>) -> Result<(), String> {
    let ctl = interrupt::current();
    let _ = ready.send(ctl.clone());
    let l = port_double::new_state();
    // SAFETY: `l` is a fresh state; the body runs in protected mode.
    let result = unsafe {
        lua_pushcfunction(l, worker_main);
        lua_pushlstring(l, role.as_ptr().cast(), role.len());
        if lua_pcall(l, 1, 0, 0) == LUA_OK {
            Ok(())
        } else {
            Err(to_string_lossy(l, -1))
        }
    };
    // SAFETY: the main state made above, not used afterwards.
    unsafe { port_double::close_state(l) };
    ctl.finish();
    result
}

const HANDLE: &CStr = c"luasync.host.worker";

/// `env.spawn(role)`: starts a worker and returns its handle.
pub(super) unsafe extern "C" fn spawn(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua. The handle userdata (which may raise) is made before the
    // thread and the Rust values exist; nothing below raises.
    unsafe {
        let mut len = 0usize;
        let role = luaL_checklstring(l, 1, &mut len);
        let slot =
            lua_newuserdatauv(l, std::mem::size_of::<*const Worker>(), 0).cast::<*const Worker>();
        slot.write(std::ptr::null());
        if luaL_newmetatable(l, HANDLE.as_ptr()) != 0 {
            luaL_setfuncs(l, HANDLE_METHODS.as_ptr(), 0);
            lua_pushvalue(l, -1);
            lua_setfield(l, -2, c"__index".as_ptr());
        }
        lua_setmetatable(l, -2);

        let role = std::slice::from_raw_parts(role.cast::<u8>(), len).to_vec();
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || run_worker(role, tx));
        let ctl = rx.recv().unwrap_or_default();
        let worker = Arc::new(Worker {
            ctl,
            thread: Mutex::new(Some(thread)),
            result: OnceLock::new(),
        });
        WORKERS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(worker.clone());
        slot.write(Arc::into_raw(worker));
    }
    1
}

/// The worker of the handle at argument 1 (raises if it is not a handle).
unsafe fn handle<'a>(l: *mut lua_State) -> &'a Worker {
    // SAFETY: a handle holds an `Arc<Worker>` pointer until its `__gc`, and argument 1
    // keeps it alive during the call.
    unsafe {
        let slot = luaL_checkudata(l, 1, HANDLE.as_ptr()).cast::<*const Worker>();
        match (*slot).as_ref() {
            Some(worker) => worker,
            None => luaL_argerror(l, 1, c"released worker handle".as_ptr()),
        }
    }
}

/// Pushes `true`, or `false, message`, for how a body ended.
unsafe fn push_result(l: *mut lua_State, result: &Result<(), String>) -> c_int {
    // SAFETY: the message belongs to the worker, not to this frame, so a raise while
    // pushing it leaves nothing behind.
    unsafe {
        match result {
            Ok(()) => {
                lua_pushboolean(l, 1);
                1
            }
            Err(message) => {
                lua_pushboolean(l, 0);
                lua_pushlstring(l, message.as_ptr().cast(), message.len());
                2
            }
        }
    }
}

/// `h:join()`: waits for the body to end; `true` or `false, message`.
unsafe extern "C" fn join(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        let worker = handle(l);
        push_result(l, worker.join())
    }
}

/// `h:stop()`: interrupts the worker's waits (now and later), then joins it.
unsafe extern "C" fn stop(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        let worker = handle(l);
        worker.ctl.stop();
        push_result(l, worker.join())
    }
}

/// `h:waitblocked()`: waits until the worker sleeps in a blocking call (`true`) or ended
/// (`false`).
unsafe extern "C" fn wait_blocked(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        let worker = handle(l);
        lua_pushboolean(l, c_int::from(worker.ctl.wait_parked()));
    }
    1
}

unsafe extern "C" fn gc(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua on a handle; its pointer came from `Arc::into_raw`.
    unsafe {
        let slot = luaL_checkudata(l, 1, HANDLE.as_ptr()).cast::<*const Worker>();
        let worker = slot.read();
        slot.write(std::ptr::null());
        if !worker.is_null() {
            drop(Arc::from_raw(worker));
        }
    }
    0
}

static HANDLE_METHODS: Table<5> = Table::new([
    (Some(c"join"), Some(join)),
    (Some(c"stop"), Some(stop)),
    (Some(c"waitblocked"), Some(wait_blocked)),
    (Some(c"__gc"), Some(gc)),
    (None, None),
]);
