/**
 * Getting a model file: {@link dev.tokenbus.model.ModelFetcher} resolves a path or an http(s) URL,
 * downloading it once into the cache (resumable, checksummed, one download per file across processes, with
 * progress).
 */
package dev.tokenbus.model;
