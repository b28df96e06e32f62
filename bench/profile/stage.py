#!/usr/bin/env python3
# Splits a `perf script` text dump of the silo (perf record -g, silo run with DOTNET_PerfMapEnabled=1
# DOTNET_EnableWriteXorExecute=0) into request-path stages: each sample goes to the first stage matched by its
# leaf-most frame. Usage: perf script -i perf.data > s.txt; python3 bench/profile/stage.py s.txt
import re,sys,collections
# Attributes each sample to the first (leaf-most) frame that matches a category, in frame order.
rules=[
 ('file watcher (appsettings reload on content root)', r'FileSystemWatcher|Interop\+Sys::LStat|IL_STUB_PInvoke\(native int,uint8\*,int32\)'),
 ('GetGrain(string) reflection', r'CustomAttribute|GrainInterfaceTypeResolver|GetGrainInterfaceType'),
 ('metrics: OpenTelemetry / Meter listeners', r'OpenTelemetry|System\.Diagnostics\.Metrics|DirectoryInstruments|CometMeter|OperationMetrics'),
 ('Orleans Dashboard (profiler filter, stats)', r'\[Orleans\.Dashboard\]'),
 ('Comet call filters (API key, metrics, replica guard)', r'Comet\.Gateway\.Security|Comet\.Admin\.Metrics|Comet\.Grains\.Security|ApiKeyCallFilter|ReplicaCallFilter|CoordinatorCallMetrics'),
 ('Lua sandbox', r'liblua|\[Comet\.Sandbox\]'),
 ('SQLite + storage JSON', r'e_sqlite3|Microsoft\.Data\.Sqlite|Comet\.Persistence\.Sqlite|Newtonsoft|StateStorageBridge'),
 ('Comet grains / coordinator / records', r'\[Comet\.(Grains|Abstractions|Grains\.Abstractions)\]'),
 ('Kestrel / ASP.NET Core / REST', r'Kestrel|AspNetCore|Comet\.Gateway\.Rest'),
 ('socket send/recv (kernel + Sockets)', r'__send|__libc_recv|sendmsg|recvmsg|tcp_|System\.Net\.Sockets|SocketConnection|\bread\b\+|__libc_write|writev'),
 ('epoll / wakeups / thread-pool spin', r'epoll|sched_yield|futex|LowLevelLifoSemaphore|LowLevelMonitor|SetEvent|schedule\b|__schedule|finish_task_switch'),
 ('Orleans serialization', r'\[Orleans\.Serialization\]'),
 ('Orleans messaging / scheduling / catalog', r'\[Orleans\.(Core|Runtime|Core\.Abstractions)\]|System\.IO\.Pipelines'),
 ('JIT', r'libclrjit'),
 ('async machinery / thread pool (CoreLib)', r'System\.Private\.CoreLib|System\.Threading'),
]
txt=open(sys.argv[1]).read().split('\n\n')
c=collections.Counter();tot=0
for s in txt:
    lines=s.strip().split('\n')[1:]
    if not lines: continue
    tot+=1
    cat='other (GC, runtime, kernel idle/irq)'
    done=False
    for f in lines:
        for name,p in rules:
            if re.search(p,f): cat=name; done=True; break
        if done: break
    c[cat]+=1
print(sys.argv[1],'samples',tot)
for k,v in c.most_common(): print(f'  {100*v/tot:5.1f}%  {k}')
