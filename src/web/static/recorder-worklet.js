// Audio worklet of the page's microphone recorder: passes each 128-sample block of the first
// channel to the page, which keeps them until the recording ends.
class RecorderProcessor extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor('gluegen-recorder', RecorderProcessor);
