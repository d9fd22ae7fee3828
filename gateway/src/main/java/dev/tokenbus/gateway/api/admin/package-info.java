/**
 * The operators' routes under {@code /v1/admin}, opened only by the gateway's admin keys (never by
 * the tenants' API keys) and off when none is configured: {@code POST /v1/admin/workers/{id}/drain}.
 */
package dev.tokenbus.gateway.api.admin;
