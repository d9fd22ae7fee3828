/**
 * Dispatch: {@link dev.tokenbus.gateway.dispatch.Dispatcher}
 * opens a generation on a worker chosen by a {@link dev.tokenbus.gateway.dispatch.DispatchPolicy},
 * queues it while every slot is busy ({@link dev.tokenbus.gateway.dispatch.AdmissionQueue}), keeps
 * its record ({@link dev.tokenbus.gateway.dispatch.StreamTable}), moves it when its worker is lost
 * ({@link dev.tokenbus.gateway.dispatch.Failover}) and parks it for a reconnect
 * ({@link dev.tokenbus.gateway.dispatch.Reconnects}). All of it talks to workers through a
 * {@link dev.tokenbus.gateway.dispatch.WorkerLink} (the event bus in production, a fake in unit tests).
 */
package dev.tokenbus.gateway.dispatch;
