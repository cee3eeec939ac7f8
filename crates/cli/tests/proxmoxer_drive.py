#!/usr/bin/env python3
"""Drive the simulator with proxmoxer, a PVE client nobody on this project wrote.

Exits non-zero with a message on the first behaviour that differs from what a
proxmoxer user gets from a real Proxmox VE. Usage:
    proxmoxer_drive.py HOST PORT USER PASSWORD
"""

import sys

import urllib3
from proxmoxer import ProxmoxAPI, ResourceException
from proxmoxer.tools import Tasks

urllib3.disable_warnings()


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def wait_ok(prox, upid, what):
    status = Tasks.blocking_status(prox, upid, timeout=60, polling_interval=0.05)
    expect(status is not None, "%s: task %s did not finish" % (what, upid))
    expect(status["exitstatus"] == "OK", "%s: task ended with %r" % (what, status["exitstatus"]))
    return status


def main(host, port, user, password):
    # Ticket login: proxmoxer posts /access/ticket and sends cookie + CSRF header itself.
    prox = ProxmoxAPI(host, port=int(port), user=user, password=password, verify_ssl=False,
                      service="PVE", timeout=30)

    nodes = prox.nodes.get()
    expect(len(nodes) >= 1, "no nodes listed")
    node = sorted(n["node"] for n in nodes if n.get("status") == "online")[0]

    templates = prox.nodes(node).storage("local").content.get(content="vztmpl")
    expect(templates, "no container templates in local storage")
    template = templates[0]["volid"]

    vmid = int(prox.cluster.nextid.get())
    upid = prox.nodes(node).lxc.post(
        vmid=vmid, ostemplate=template, hostname="proxmoxer-ct", memory=512, cores=1,
        rootfs="local-lvm:4", net0="name=eth0,bridge=vmbr0,ip=dhcp", unprivileged=1)
    expect(Tasks.decode_upid(upid)["type"] == "vzcreate", "create did not return a vzcreate UPID: %s" % upid)
    wait_ok(prox, upid, "create")

    config = prox.nodes(node).lxc(vmid).config.get()
    expect(config.get("hostname") == "proxmoxer-ct", "config hostname is %r" % config.get("hostname"))
    expect("size=4G" in config.get("rootfs", ""), "rootfs not allocated as 4G: %r" % config.get("rootfs"))

    wait_ok(prox, prox.nodes(node).lxc(vmid).status.start.post(), "start")
    current = prox.nodes(node).lxc(vmid).status.current.get()
    expect(current["status"] == "running", "status after start is %r" % current["status"])

    # Starting it again is an error that proxmoxer surfaces with PVE's reason phrase.
    try:
        wait_ok(prox, prox.nodes(node).lxc(vmid).status.start.post(), "second start")
        fail("starting a running container succeeded")
    except ResourceException as exc:
        expect(exc.status_code == 500, "second start: status %s" % exc.status_code)
        expect("running" in str(exc), "second start: message lacks reason: %s" % exc)

    upid = prox.nodes(node).vzdump.post(vmid=vmid, storage="local", mode="snapshot", compress="zstd")
    wait_ok(prox, upid, "vzdump")
    log = "\n".join(line["t"] for line in prox.nodes(node).tasks(upid).log.get(limit=500))
    backups = prox.nodes(node).storage("local").content.get(content="backup", vmid=vmid)
    expect(len(backups) == 1, "expected one backup of %d, found %d" % (vmid, len(backups)))
    volid = backups[0]["volid"]
    expect(volid.startswith("local:backup/vzdump-lxc-%d-" % vmid), "backup volid %r" % volid)
    archive = volid.split("/", 1)[1]
    expect(archive in log, "backup archive %s not named in the task log" % archive)

    try:
        prox.nodes(node).lxc(vmid).delete()
        fail("deleting a running container succeeded")
    except ResourceException as exc:
        expect(exc.status_code == 500, "delete running: status %s" % exc.status_code)

    wait_ok(prox, prox.nodes(node).lxc(vmid).status.stop.post(), "stop")
    wait_ok(prox, prox.nodes(node).lxc(vmid).delete(purge=1), "delete")
    listed = [g["vmid"] for g in prox.nodes(node).lxc.get()]
    expect(vmid not in [int(v) for v in listed], "container %d still listed after delete" % vmid)
    try:
        prox.nodes(node).lxc(vmid).status.current.get()
        fail("status of a deleted container succeeded")
    except ResourceException as exc:
        expect(exc.status_code == 500, "deleted guest: status %s" % exc.status_code)
        expect("does not exist" in str(exc), "deleted guest: %s" % exc)

    # The backup outlives the guest, as on real PVE.
    backups = prox.nodes(node).storage("local").content.get(content="backup", vmid=vmid)
    expect(len(backups) == 1, "backup vanished with the guest")
    print("proxmoxer drive OK: node %s, guest %d, backup %s" % (node, vmid, volid))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(*sys.argv[1:])
