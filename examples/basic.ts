// A 3-member etcd cluster with the defaults: `npx cdk8s synth` writes cdk8s.out/basic.k8s.yaml.
import { App, Chart } from 'cdk8s';
import { EtcdCluster } from '../src';

const app = new App();
const chart = new Chart(app, 'basic', { namespace: 'etcd' });
new EtcdCluster(chart, 'etcd', { name: 'etcd' });
app.synth();
