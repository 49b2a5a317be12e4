/** The Kubernetes part of the one validated config lives with the rest of it (config sits below every feature). */
export * from '../config/kubernetes.config';
